"""Regenerate the README's pictures: docs/graph.png (a drawn graph), docs/network.png (the seed
network's neuron diagram after backprop), docs/player.png and docs/network_player.png (screenshots of
the step-through player, op by op and neuron by neuron, in headless Chromium).
Run: .venv/bin/python docs/make_pictures.py"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import autograd
import nn
from autograd.examples import classic_neuron
from autograd.files import atomic_write
from nn import examples

HERE = Path(__file__).resolve().parent


def seed_network_loss():
    """The three-layer network's loss for its one sample, as the README's diagram example computes it."""
    model = examples.three_layer_network()
    loss = nn.mse_loss(examples.named_forward(model, examples.labelled_inputs()), examples.TARGET)
    loss.label = "L"
    return model, loss


def main() -> None:
    o = classic_neuron()
    o.backward()
    atomic_write(HERE / "graph.png", o.draw().pipe(format="png"))
    model, loss = seed_network_loss()
    loss.backward()
    atomic_write(HERE / "network.png", model.diagram(loss=loss).pipe(format="png"))

    from playwright.sync_api import sync_playwright

    page_path = autograd.Walkthrough(classic_neuron()).save(Path(tempfile.mkdtemp()) / "backprop.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 720})
        page.goto(page_path.as_uri())
        for _ in range(9):  # into the backward pass, where the chain rule is at work
            page.click('button[data-go="next"]')
        page.screenshot(path=str(HERE / "player.png"), full_page=False)
        _, loss = seed_network_loss()
        network_page = autograd.Walkthrough(loss, view="network").save(Path(tempfile.mkdtemp()) / "network.html")
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.goto(network_page.as_uri())
        for _ in range(3 + 1 + 2):  # past the forward pass and the output neuron's δ, to its second weight
            page.click('button[data-go="next"]')
        page.screenshot(path=str(HERE / "network_player.png"), full_page=False)
        browser.close()
    names = ("graph.png", "network.png", "player.png", "network_player.png")
    print("wrote", ", ".join(str(HERE / name) for name in names))


if __name__ == "__main__":
    main()
