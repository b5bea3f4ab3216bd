"""No label text can break a picture or the player: quotes, comments, CDATA ends, script tags,
newlines, control characters, Graphviz escapes and HTML-like labels are all shown as written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import autograd
from autograd import GraphTooLarge, Value, Walkthrough
from autograd.view.render import render_dot

HOSTILE = [
    "<!--<script>",
    "</script><script>alert(1)</script>",
    "]]>",
    'say "hi"',
    "it's",
    "line1\nline2",
    "tab\there",
    "back\\",
    "\\N",
    "x\\l\\r\\n",
    "<b>bold</b>",
    "<",
    "{a|b}",
    "&amp; &lt;",
    "${x}`",
    "\u2028\u2029",
    "\x00\x1b[31m\x7f",
    "π ≥ ∂",
]
SVG = "{http://www.w3.org/2000/svg}"


def _graph(label: str) -> Value:
    x = Value(1.5, label=label)
    w = Value(-2.0, label="w")
    out = (x * w).tanh()
    out.label = label + "!"
    return out


def _visible(label: str) -> str:
    """What the picture shows for a label: control characters as their escapes."""
    return "".join(c.encode("unicode_escape").decode("ascii") if c < " " or c == "\x7f" else c for c in label)


@pytest.mark.parametrize("label", HOSTILE, ids=[repr(h) for h in HOSTILE])
def test_every_label_is_drawn_exactly_as_written(label):
    out = _graph(label)
    out.backward()
    svg = render_dot(out.draw(show_names=True).source, "svg").decode()
    texts = ["".join(t.itertext()).replace("\xa0", " ") for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert _visible(label) in texts and _visible(label) + "!" in texts


@pytest.mark.parametrize("label", ["<x>", "a\\", "\\G", "\x01"])
def test_an_operation_name_is_drawn_exactly_as_written(label):
    a = Value(2.0)
    b = Value(a.data * 2, _children=(a,), _op=label)  # micrograd's way: any operation name
    svg = render_dot(b.draw().source, "svg").decode()
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert _visible(label) in texts


@pytest.mark.parametrize("label", HOSTILE, ids=[repr(h) for h in HOSTILE])
def test_walkthrough_frames_and_html_survive_every_label(label):
    walk = Walkthrough(_graph(label))
    ET.fromstring(walk.frame_svg(len(walk) - 1))  # still well-formed SVG
    page = walk.html()
    script = page[page.index("<script>") + len("<script>") : page.rindex("</script>")]
    assert "</script" not in script.lower() and "<!--" not in script
    assert any(label in frame.text for frame in walk.frames)  # the steps name the node as written


def test_walkthrough_refuses_a_graph_over_max_nodes_before_touching_any_gradient():
    x = Value(0.5, label="x")
    x.grad = 7.0  # the user's gradient from earlier work
    v = x
    for _ in range(20_000):
        v = v * 1.0001
    v.grad = 3.0
    with pytest.raises(GraphTooLarge, match="max_nodes=500"):
        Walkthrough(v)
    assert x.grad == 7.0 and v.grad == 3.0
    assert all(node.grad == 0.0 for node in autograd.topological_order(v) if node not in (x, v))
    small = (Value(1.0) * 2).tanh()
    with pytest.raises(GraphTooLarge):
        Walkthrough(small, max_nodes=5)  # x, 2, x*2 and its operation, tanh and its operation: 6
    assert len(Walkthrough(small, max_nodes=6)) > 0


# ---- in a real browser ---------------------------------------------------------------------------




def test_the_player_starts_and_steps_with_hostile_labels(browser, tmp_path):
    # Every hostile label in one graph: the player must start (live view shown, no script error),
    # step, and show each label as written.
    leaves = [Value(0.1 * (i + 1), label=label) for i, label in enumerate(HOSTILE)]
    out = autograd.sum([leaf * leaf for leaf in leaves]).tanh()
    out.label = "<!--<script>"
    path = Walkthrough(out).save(tmp_path / "hostile.html")
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append("a dialog opened: " + d.message), d.dismiss()))
    page.goto(path.as_uri())
    assert page.is_visible(".crw-live") and not page.is_visible(".crw-static")
    first = page.get_attribute(".crw", "data-frame")
    page.click('[data-go="next"]')
    assert page.get_attribute(".crw", "data-frame") != first
    page.click('[data-go="last"]')
    shown = page.eval_on_selector_all(".crw-live svg text", "ts => ts.map(t => t.textContent)")
    shown = [text.replace("\xa0", " ") for text in shown]
    for label in HOSTILE:
        assert _visible(label) in shown, label
    assert problems == []
    page.close()
