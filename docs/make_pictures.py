"""Regenerate the README's pictures: docs/graph.png (a drawn graph) and docs/player.png (a
screenshot of the step-through player in headless Chromium). Run: .venv/bin/python docs/make_pictures.py"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import autograd
from autograd.examples import classic_neuron
from autograd.files import atomic_write

HERE = Path(__file__).resolve().parent


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
