"""The Walkthrough: frames as data, and the HTML player in a real headless Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import autograd
import nn
from autograd.examples import classic_neuron as classic
from autograd.view.drawing import number
from autograd.view.walkthrough import ACTIVE


def test_frames_are_forward_steps_then_a_seed_then_one_per_edge():
    o = classic()
    w = autograd.Walkthrough(o)
    edges = sum(len(v.parents) for v in autograd.topological_order(o))
    computed = sum(1 for v in autograd.topological_order(o) if v.parents)
    assert len(w) == computed + 1 + edges
    assert [f.phase for f in w.frames].count("forward") == computed
    assert w.frames[computed].text.startswith("Start at the output: ∂o/∂o = 1.")
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
    # one SVG, carried as the script's data: never as markup that a sanitiser would turn into raw text
    assert page.count("<svg") == 1 and "<svg" not in page.split("<script>")[0]
    assert len(page) < 1_000_000, len(page)


def test_save_writes_one_self_contained_file(tmp_path):
    path = autograd.Walkthrough(classic()).save(tmp_path / "backprop.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text and "data:image/png;base64," in text




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

    page.eval_on_selector(".crw-slider", "s => { s.value = '8'; s.dispatchEvent(new Event('input')); }")
    assert page.inner_text(".crw-count").startswith("8 /")  # the slider counts from 1, like the counter
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


def test_widget_shares_its_frame_with_the_kernel_and_saves_a_static_fallback():
    pytest.importorskip("anywidget")
    w = autograd.Walkthrough(classic())
    viewer = w.widget()
    assert viewer.frame == 0 and viewer.text.startswith(f"1 / {len(w)} forward: ")
    viewer.frame = len(w) - 1
    assert viewer.text == f"{len(w)} / {len(w)} backward: {w.frames[-1].text}"
    with pytest.raises(Exception, match="frame must be in"):
        viewer.frame = len(w)
    data = json.loads(viewer.data)
    assert data["svg"].startswith("<svg") and len(data["frames"]) == len(w)
    assert "chainrulePlayer" in viewer._esm and "export default" in viewer._esm
    bundle = viewer._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # without widget state (an untrusted or saved notebook) the picture and the steps still show
    assert "data:image/png;base64," in bundle["text/html"] and "Start at the output" in bundle["text/html"]
    assert "<svg" not in bundle["text/html"] and "<script" not in bundle["text/html"]


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


# ---- readable at any size: every frame's named nodes on screen, typeset maths, zoom and pan -----

FRAME_JS = r"""
(rootName) => {
  // What the reader sees at this frame: the counter, the text, where each node the text names is
  // (and how big its name is drawn), whether the formula is typeset, and any LaTeX left as text.
  const view = document.querySelector(".crw-view").getBoundingClientRect();
  const titles = {};
  document.querySelectorAll(".crw-view g.node").forEach((g) => {
    const t = g.querySelector("text");
    if (!t) { return; }
    const key = (t.textContent.replace(/\u00a0/g, " ").trim().match(/^[^\s:]+/) || [""])[0];
    (titles[key] = titles[key] || []).push(t);
  });
  const text = document.querySelector(".crw-text").innerText;
  const said = text.split("\u2202" + rootName + "/").join("");
  const tokens = (said.match(/(?<![\w.])[A-Za-z_][\w.]*/g) || []).map((t) => t.replace(/\.+$/, ""));
  const seen = [];
  for (const name of new Set(tokens)) {
    if (!titles[name] || titles[name].length !== 1) { continue; }
    const t = titles[name][0], r = t.getBoundingClientRect();
    const inside = r.left >= Math.max(view.left, 0) - 0.5 && r.right <= Math.min(view.right, innerWidth) + 0.5
      && r.top >= Math.max(view.top, 0) - 0.5 && r.bottom <= Math.min(view.bottom, innerHeight) + 0.5;
    seen.push({ name, inside, px: parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a });
  }
  const formula = document.querySelector(".crw-math").firstElementChild;
  return {
    count: document.querySelector(".crw-count").innerText,
    text,
    seen,
    math: formula ? getComputedStyle(formula).display : "",
    body: document.body.innerText,
  };
}
"""


def seed_loss():
    from nn import examples

    model = examples.three_layer_network()
    loss = nn.mse_loss(examples.named_forward(model, examples.labelled_inputs()), examples.TARGET)
    loss.label = "L"
    return loss


def step_through_every_frame(page, walkthrough, root_name: str) -> list[float]:
    """Visit every frame with Next; at each, every node the text names is on screen at >= 10 px."""
    sizes = []
    for k in range(len(walkthrough)):
        frame = page.evaluate(FRAME_JS, root_name)
        text = frame["text"]
        assert frame["count"] == f"{k + 1} / {len(walkthrough)}" and text == walkthrough.frames[k].text
        assert frame["seen"] or k == 0 or "Start" in text, f"frame {k + 1} names no drawn node: {text}"
        for name in frame["seen"]:
            assert name["inside"], f"frame {k + 1}: {name['name']} is off screen ({text})"
            assert name["px"] >= 10, f"frame {k + 1}: {name['name']} drawn at {name['px']:.1f} px"
        sizes += [name["px"] for name in frame["seen"]]
        assert "math" in frame["math"], f"frame {k + 1} has no typeset formula"
        assert "\\frac" not in frame["body"] and "\\partial" not in frame["body"] and "$$" not in frame["body"]
        if k + 1 < len(walkthrough):
            page.click('button[data-go="next"]')
    return sizes


def open_page(browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page, problems, requests


def test_seed_network_every_frame_shows_what_its_text_names_readably(browser, tmp_path):
    loss = seed_loss()
    w = autograd.Walkthrough(loss)
    assert 35 <= len(w) <= 45  # 11 forward steps, the seed, one step per edge into a non-constant
    path = w.save(tmp_path / "seed.html")
    page, problems, requests = open_page(browser, path)
    svg_width = page.eval_on_selector(".crw-view svg", "s => s.getBoundingClientRect().width")
    assert svg_width > 1280  # wider than the window: following the step is what keeps it readable
    sizes = step_through_every_frame(page, w, "L")
    assert min(sizes) >= 10
    assert page.eval_on_selector_all(".crw-math mfrac", "fs => fs.length") >= 3  # ∂L/∂x · ∂s/∂x ⇒ ∂L/∂x
    assert problems == [] and requests == [path.as_uri()]
    page.close()


def test_zoom_buttons_wheel_fit_and_drag(browser, tmp_path):
    path = autograd.Walkthrough(seed_loss()).save(tmp_path / "seed.html")
    page, problems, _ = open_page(browser, path)

    def scale() -> float:
        return float(page.get_attribute(".crw", "data-scale"))

    start = scale()
    page.click('button[data-go="zoom-in"]')
    assert scale() == pytest.approx(start * 1.25, rel=1e-3)
    page.click('button[data-go="zoom-out"]')
    page.click('button[data-go="zoom-out"]')
    assert scale() == pytest.approx(start / 1.25, rel=1e-3)
    page.click('button[data-go="fit"]')
    svg = page.eval_on_selector(".crw-view svg", "s => s.getBoundingClientRect().toJSON()")
    view = page.eval_on_selector(".crw-view", "v => v.getBoundingClientRect().toJSON()")
    assert svg["width"] <= view["width"] + 1 and svg["height"] <= view["height"] + 1  # the whole graph shows
    assert svg["width"] >= view["width"] - 3 or svg["height"] >= view["height"] - 3  # and fills the view
    page.click('button[data-go="actual"]')
    assert scale() == pytest.approx(1.0)
    box = page.eval_on_selector(".crw-view", "v => v.getBoundingClientRect().toJSON()")
    page.mouse.move(box["x"] + 300, box["y"] + 200)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)  # Ctrl + wheel, which is also what a touchpad pinch sends
    page.keyboard.up("Control")
    page.wait_for_function("s => parseFloat(document.querySelector('.crw').dataset.scale) > s", arg=1.0)
    before = page.eval_on_selector(".crw-view", "v => [v.scrollLeft, v.scrollTop]")
    page.mouse.move(box["x"] + 600, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 400, box["y"] + 250, steps=5)
    page.mouse.up()
    after = page.eval_on_selector(".crw-view", "v => [v.scrollLeft, v.scrollTop]")
    assert after[0] == pytest.approx(before[0] + 200, abs=2) and after[1] == pytest.approx(before[1] + 50, abs=2)
    assert problems == []
    page.close()


def test_mlp_one_sample_neuron_by_neuron_every_frame_shows_what_its_text_names_readably(browser, tmp_path):
    """MLP(2, [16, 16, 1]) on one sample, collapsed by neuron: nn's network picture, one frame per neuron and pass."""
    model = nn.MLP(2, [16, 16, 1], seed=1)
    loss = nn.hinge_loss(model([0.5, -0.25]), -1.0)
    loss.label = "L"
    w = autograd.Walkthrough(loss, view="neurons")
    assert any(p.grad != 0 for p in model.parameters())
    path = w.save(tmp_path / "mlp.html")
    page, problems, requests = open_page(browser, path)
    sizes = step_through_every_frame(page, w, "L")
    assert len(sizes) >= len(w) and min(sizes) >= 10
    assert problems == [] and requests == [path.as_uri()]
    page.close()


def test_notebooks_nbconvert_html_without_scripts_shows_the_picture_and_steps(browser, tmp_path):
    """A code host's static render: the exported notebook with scripts off shows pictures and step lists,
    with no raw markup and no controls that would do nothing."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_backprop_step_through.ipynb"
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    page_path = tmp_path / "notebook.html"
    page_path.write_text(body)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(page_path.as_uri())
    statics = page.query_selector_all(".crw-static")
    assert len(statics) == 3  # the player, the widget and the quiz player
    quiz = statics.pop()  # the quiz practises on a smaller graph, o = tanh(x1*w1 + x2*w2 + b)
    assert quiz.query_selector("img").evaluate("i => i.naturalWidth") > 500
    assert "Start at the output: ∂o/∂o = 1" in quiz.inner_text()
    for static in statics:
        image = static.query_selector("img")
        assert image.evaluate("i => i.naturalWidth") > 1000
        assert image.evaluate("i => i.getBoundingClientRect().width") == image.evaluate("i => i.naturalWidth")
        assert "Start at the output: ∂L/∂L = 1" in static.inner_text()
    assert page.query_selector_all(".crw button, .crw input, .crw-live") == []
    text = page.inner_text("body")
    assert "\\frac" not in text and "<svg" not in text and "chainrulePlayer" not in text
    context.close()


def test_page_zoom_150_percent_keeps_text_readable_and_follows_the_active_node(browser, tmp_path):
    """Browser zoom at 150% in a 1280x800 window is, to the page, an 853x533 CSS px window at 1.5 device
    pixels per CSS px. The view is shorter then, so a frame's named nodes may not all fit at once; the
    node being computed (or whose gradient flows) is on screen at every frame, its text >= 10 CSS px."""
    w = autograd.Walkthrough(seed_loss())
    path = w.save(tmp_path / "seed.html")
    page = browser.new_page(viewport={"width": 853, "height": 533}, device_scale_factor=1.5)
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    for k, frame in enumerate(w.frames):
        box = page.evaluate(
            """(id) => {
                const view = document.querySelector(".crw-view").getBoundingClientRect();
                const t = document.getElementById(id).querySelector("text");
                const r = t.getBoundingClientRect();
                return {inside: r.left >= view.left && r.right <= view.right && r.top >= view.top
                          && r.bottom <= Math.min(view.bottom, innerHeight),
                        px: parseFloat(t.getAttribute("font-size")) * t.getScreenCTM().a};
            }""",
            frame.active[0],
        )
        assert box["inside"] and box["px"] >= 10, (k + 1, frame.text, box)
        if k + 1 < len(w):
            page.click('button[data-go="next"]')
    assert problems == []
    page.close()


def test_neurons_view_is_the_network_view_with_one_frame_per_neuron_and_pass():
    loss = seed_loss()
    network = autograd.Walkthrough(loss, view="network")
    neurons = autograd.Walkthrough(seed_loss(), view="neurons")
    count = 3  # two hidden neurons and the output
    assert [f.phase for f in neurons.frames] == ["forward"] * count + ["backward"] * (1 + count)
    assert neurons.state(len(neurons) - 1) == network.state(len(network) - 1)  # the same numbers in the end
    assert neurons.svg == network.svg
    assert all(f.latex for f in neurons.frames) and all(f.latex for f in network.frames)
    for frame in neurons.frames[count + 1 :]:
        assert frame.text.startswith("Neuron ") and len(frame.active) == 1
