"""The Walkthrough: frames as data, and the HTML player in a real headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import autograd
import nn
from autograd.drawing import number
from autograd.examples import classic_neuron as classic
from autograd.walkthrough import ACTIVE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_frames_are_forward_steps_then_a_seed_then_one_per_edge():
    o = classic()
    w = autograd.Walkthrough(o)
    edges = sum(len(v.parents) for v in autograd.topological_order(o))
    computed = sum(1 for v in autograd.topological_order(o) if v.parents)
    assert len(w) == computed + 1 + edges
    assert [f.phase for f in w.frames].count("forward") == computed
    assert w.frames[computed].text == "Start at the output: do/do = 1"
    assert len(autograd.Walkthrough(classic(), forward=False)) == 1 + edges


def test_frames_fill_in_only_what_is_known_so_far():
    o = classic()
    w = autograd.Walkthrough(o)
    ids = {v: f"v{i}" for i, v in enumerate(autograd.topological_order(o))}
    first = w.state(0)
    assert first[ids[o]]["data"].strip() == "?" and first[ids[o]]["grad"].strip() == "?"
    last = w.state(len(w) - 1)
    for v, i in ids.items():
        assert last[i]["data"] == number(v.data)
        assert last[i]["grad"] == number(v.grad)
    assert 'stroke="' + ACTIVE in w.frame_svg(len(w) - 1)


def test_page_stays_small_one_svg_plus_step_data():
    model = nn.MLP(4, [8, 8, 1], seed=0)
    loss = nn.mse_loss(model([0.5, -1.0, 2.0, 0.25]), 1.0)
    w = autograd.Walkthrough(loss, max_nodes=1000)
    page = w.html()
    nodes = autograd.topological_order(loss)
    assert len(nodes) > 150 and len(w.steps) > 250
    assert page.count("<svg") == 1
    assert len(page) < 1_000_000, len(page)


def test_save_writes_one_self_contained_file(tmp_path):
    path = autograd.Walkthrough(classic()).save(tmp_path / "backprop.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text and "data:image/png;base64," in text


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def open_player(browser, tmp_path, root):
    path = autograd.Walkthrough(root).save(tmp_path / "backprop.html")
    page = browser.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, problems, requests


def highlighted(page) -> list[str]:
    return page.eval_on_selector_all(f'g.node:has([stroke="{ACTIVE}"])', "gs => gs.map(g => g.id)")


def test_player_works_in_headless_chromium(browser, tmp_path):
    o = classic()
    page, problems, requests = open_player(browser, tmp_path, o)
    assert page.is_visible(".crw-live") and not page.is_visible(".crw-static")
    assert page.inner_text(".crw-count") == f"1 / {len(autograd.Walkthrough(o))}"
    first_text, first_focus = page.inner_text(".crw-text"), highlighted(page)

    page.click('button[data-go="next"]')
    assert page.inner_text(".crw-count").startswith("2 /")
    assert page.inner_text(".crw-text") != first_text and highlighted(page) != first_focus
    page.click('button[data-go="prev"]')
    assert page.inner_text(".crw-text") == first_text and highlighted(page) == first_focus

    page.focus(".crw")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute(".crw", "data-frame") == "2"

    page.eval_on_selector(".crw-slider", "s => { s.value = '7'; s.dispatchEvent(new Event('input')); }")
    assert page.inner_text(".crw-count").startswith("8 /")
    assert "+=" in page.inner_text(".crw-text")  # frame 8 is a backward step with its product

    page.click('button[data-go="last"]')
    grads = page.eval_on_selector_all(
        "g.node text", "ts => ts.map(t => t.textContent.replace(/\\u00a0/g, ' ')).filter(t => t.startsWith('grad'))"
    )
    order = autograd.topological_order(o)
    expected = sorted(f"grad {number(v.grad)}" for v in order)
    assert sorted(grads) == expected
    assert "?" not in "".join(grads)
    assert problems == []
    assert requests == [(tmp_path / "backprop.html").as_uri()]
    page.close()


def test_play_advances_by_itself(browser, tmp_path):
    page, problems, _ = open_player(browser, tmp_path, classic())
    page.click('button[data-go="play"]')
    page.wait_for_selector('.crw:not([data-frame="0"])', timeout=5000)
    assert page.inner_text('button[data-go="play"]') == "Pause"
    page.click('button[data-go="play"]')
    assert page.inner_text('button[data-go="play"]') == "Play" and problems == []
    page.close()


def test_without_scripts_the_static_picture_and_steps_show(browser, tmp_path):
    path = autograd.Walkthrough(classic()).save(tmp_path / "backprop.html")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(path.as_uri())
    assert page.is_visible(".crw-static img") and not page.is_visible(".crw-live")
    assert page.eval_on_selector(".crw-static img", "img => img.naturalWidth") > 100
    assert "Start at the output" in page.inner_text(".crw-static pre")
    assert page.is_visible(".crw-static pre")
    context.close()


def test_widget_viewer_changes_picture_and_text_with_the_slider():
    pytest.importorskip("ipywidgets")
    w = autograd.Walkthrough(classic())
    viewer = w.widget()
    picture, controls, text = viewer.children
    slider = controls.children[1]
    first_picture, first_text = picture.value, text.value
    slider.value = len(w) - 1
    assert picture.value != first_picture and text.value != first_text
    assert "+=" in text.value and "$$" in text.value  # the explanation and its LaTeX
    assert picture.value.count("<svg") == 1


def test_player_runs_in_the_notebooks_nbconvert_html_export(browser, tmp_path):
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_backprop_step_through.ipynb"
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    page_path = tmp_path / "notebook.html"
    page_path.write_text(body)
    page = browser.new_page()
    script_errors = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    page.goto(page_path.as_uri())
    assert page.is_visible(".crw-live")
    page.click('button[data-go="next"]')
    assert page.inner_text(".crw-count").startswith("2 /")
    assert script_errors == []  # (nbconvert's own template may try its CDN; the player needs nothing)
    page.close()
