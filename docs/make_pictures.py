"""Regenerate the README's pictures: docs/graph.png (a drawn graph) and docs/player.png (a
screenshot of the step-through player in headless Chromium). Run: .venv/bin/python docs/make_pictures.py"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import autograd
from autograd import Value
from autograd.files import atomic_write

HERE = Path(__file__).resolve().parent


def classic_neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def main() -> None:
    o = classic_neuron()
    o.backward()
    atomic_write(HERE / "graph.png", o.draw().pipe(format="png"))

    from playwright.sync_api import sync_playwright

    page_path = autograd.Walkthrough(classic_neuron()).save(Path(tempfile.mkdtemp()) / "backprop.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 560})
        page.goto(page_path.as_uri())
        for _ in range(9):  # into the backward pass, where the chain rule is at work
            page.click('button[data-go="next"]')
        page.screenshot(path=str(HERE / "player.png"), full_page=False)
        browser.close()
    print("wrote", HERE / "graph.png", "and", HERE / "player.png")


if __name__ == "__main__":
    main()
