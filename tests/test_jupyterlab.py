"""Notebook 02 in a real JupyterLab (headless Chromium): the first, untrusted open shows a readable picture
and the step list (no raw markup, no dead controls); after Run All the interactive players work."""

from __future__ import annotations

import re

import chromium
import pytest
from lab import ROOT, jupyter_lab, open_notebook, run_all

NOTEBOOK = ROOT / "notebooks" / "02_backprop_step_through.ipynb"
MARKUP = re.compile(r"<\s*/?\s*(svg|g|text|polygon|path|script|style|div|math)\b|\bv0\s+w1\.0\.0\b|\\frac")


@pytest.fixture(scope="module")
def lab():
    sync_api = chromium.sync_api()
    with jupyter_lab([NOTEBOOK]) as (base, token), sync_api.sync_playwright() as p:
        browser = chromium.launch(p)
        yield browser, base, token
        browser.close()


def outputs_of(page) -> list[dict]:
    return page.eval_on_selector_all(
        ".jp-Notebook .jp-OutputArea-output",
        """os => os.map(o => ({
            text: o.innerText,
            images: [...o.querySelectorAll('img')].map(
                i => ({natural: i.naturalWidth, shown: i.getBoundingClientRect().width})),
            buttons: o.querySelectorAll('button, input').length,
            players: o.querySelectorAll('.crw-live').length,
        }))""",
    )


def test_untrusted_first_open_shows_a_picture_and_the_steps_then_run_all_makes_them_players(lab, tmp_path):
    browser, base, token = lab
    page = open_notebook(browser, base, token, NOTEBOOK.name)
    page.screenshot(path=str(tmp_path / "untrusted.png"))
    outputs = outputs_of(page)
    pictures = [o for o in outputs if o["images"]]
    assert len(pictures) == 3  # the player, the widget and the quiz player, each as a picture with its step list
    quiz = pictures.pop()  # the quiz practises on a smaller graph, o = tanh(x1*w1 + x2*w2 + b)
    assert quiz["images"][0]["natural"] > 500 and "Start at the output: ∂o/∂o = 1" in quiz["text"]
    for output in pictures:
        image = output["images"][0]
        assert image["natural"] > 1000 and image["shown"] == pytest.approx(image["natural"], abs=1)  # natural size
        assert "Start at the output: ∂L/∂L = 1" in output["text"] and "∂L/∂w0.0.0 +=" in output["text"]
    for output in outputs:
        assert not MARKUP.search(output["text"]), output["text"][:300]
        assert output["buttons"] == 0 and output["players"] == 0  # no controls that do nothing

    run_all(page)
    page.wait_for_selector(".jp-Notebook .crw-live", timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.jp-Notebook .crw-live').length >= 2", timeout=60_000)
    players = page.query_selector_all(".jp-Notebook .crw-live")
    html_player, widget = players[0], players[1]
    count = html_player.query_selector(".crw-count")
    total = count.inner_text().split("/")[1].strip()
    assert count.inner_text() == f"1 / {total}"
    html_player.query_selector('button[data-go="next"]').click()
    assert count.inner_text() == f"2 / {total}"
    assert html_player.query_selector(".crw-math math") is not None
    # the widget: the kernel set frame 20 (Python counts from 0); the page shows 21, and its text agrees
    widget_count = widget.query_selector(".crw-count")
    assert widget_count.inner_text() == f"21 / {total}"
    said = widget.query_selector(".crw-text").inner_text()
    assert said.startswith("∂L/∂h2 +=")
    widget.query_selector('button[data-go="next"]').click()
    assert widget_count.inner_text() == f"22 / {total}"
    page.screenshot(path=str(tmp_path / "trusted.png"))
    page.close()


def test_a_trusted_reopen_without_a_kernel_shows_players_and_the_widget_cells_picture(lab, tmp_path):
    """A reader who ran the notebook, saved it and opens it again (trusted, kernel not yet run): the
    HTML players run their scripts, and the widget cell shows its picture, not "model not found"."""
    browser = lab[0]  # one Playwright per thread: this test's own JupyterLab, the module's browser
    with jupyter_lab([NOTEBOOK], trusted=True) as (base, token):
        page = open_notebook(browser, base, token, NOTEBOOK.name)
        page.wait_for_selector(".jp-Notebook .crw-live", timeout=60_000)
        page.screenshot(path=str(tmp_path / "trusted_reopen.png"))
        text = page.inner_text(".jp-Notebook")
        assert "Error displaying widget" not in text and "model not found" not in text
        outputs = outputs_of(page)
        assert sum(o["players"] for o in outputs) == 2  # the player and the quiz player, live from their scripts
        (widget_cell,) = [o for o in outputs if "Walkthrough widget" in o["text"] or (o["images"] and not o["players"])]
        assert widget_cell["images"][0]["natural"] > 1000 and widget_cell["buttons"] == 0
        page.close()
