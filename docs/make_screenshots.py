"""Screenshots of notebook 02 in a real JupyterLab (headless Chromium), for the docs and the README:

* docs/jupyterlab_untrusted.png: the first open, untrusted and not run: the static picture and step list;
* docs/jupyterlab_trusted.png: after Run All: the interactive player, stepped into the backward pass;
* docs/jupyterlab_widget.png: the same player as a widget, at the frame the kernel set.

Run: .venv/bin/python docs/make_screenshots.py (the JupyterLab runs on 127.0.0.1 and is stopped afterwards).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import chromium  # noqa: E402 - tests/chromium.py: Debian's Chromium, as the tests start it
from lab import ROOT, jupyter_lab, open_notebook, run_all  # noqa: E402

NOTEBOOK = ROOT / "notebooks" / "02_backprop_step_through.ipynb"


def scroll_to(page, selector: str) -> None:
    page.eval_on_selector(selector, "e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with jupyter_lab([NOTEBOOK]) as (base, token), sync_playwright() as p:
        browser = chromium.launch(p)
        page = open_notebook(browser, base, token, NOTEBOOK.name)
        scroll_to(page, ".jp-Notebook .jp-CodeCell .jp-OutputArea")
        page.screenshot(path=str(HERE / "jupyterlab_untrusted.png"))
        run_all(page)
        page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .crw-live').length >= 2", timeout=60_000)
        player, widget = page.query_selector_all(".jp-Notebook .crw-live")[:2]
        for _ in range(30):  # into the backward pass, where the chain rule is at work
            player.query_selector('button[data-go="next"]').click()
        scroll_to(page, ".jp-Notebook .crw-live")
        page.screenshot(path=str(HERE / "jupyterlab_trusted.png"))
        widget.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        page.screenshot(path=str(HERE / "jupyterlab_widget.png"))
        browser.close()
    print("wrote", *(HERE / f"jupyterlab_{name}.png" for name in ("untrusted", "trusted", "widget")))


if __name__ == "__main__":
    main()
