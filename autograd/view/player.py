"""The step-through player as HTML: one SVG, a list of frames, and a small script that needs no network.

`player_html(...)` writes a fragment that works in three places: a saved page, a Jupyter output
and an `nbconvert` HTML export. It carries two things:

* a static view (a PNG ``<img>`` at a size where its text is readable, and the list of steps as
  text), which is all that shows where scripts do not run: an untrusted notebook (JupyterLab strips
  scripts, styles and SVG from untrusted HTML but keeps images and text) or a page with scripts off;
* one ``<script>`` that removes the static view and builds the live player from the data: the SVG,
  zoom and pan, a view that follows the step, and each frame's formula as MathML.

The formulas are typeset by `latex2mathml` (a small pure-Python package) into MathML, which Chromium,
Firefox and Safari render natively: no JavaScript typesetter, no fonts to ship, nothing to fetch.
The same script is the widget's front end (`widget_esm()`, for anywidget), so there is one player.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
PLAYER_JS = (_HERE / "player.js").read_text(encoding="utf-8")
PLAYER_CSS = (_HERE / "player.css").read_text(encoding="utf-8")


@lru_cache(maxsize=4096)
def mathml(latex: str) -> str:
    """`latex` as a MathML ``<math>`` element (display style), or "" for no formula."""
    if not latex:
        return ""
    from latex2mathml.converter import convert

    markup = convert(latex)
    # latex2mathml wraps \mathrel{+} in a second <mo>; "+=" is one operator
    markup = markup.replace("<mo><mrow><mo>&#x0002B;</mo></mrow></mo><mo>&#x0003D;</mo>", "<mo>+=</mo>")
    markup = re.sub(r"<mo><mrow>(<mo>[^<]*</mo>)</mrow></mo>", r"\1", markup)
    # smaller pages: characters instead of entities (but < and & stay escaped), no default attributes
    markup = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: _character(int(m.group(1), 16)), markup)
    markup = re.sub(r"<mrow>(<m[ion]>[^<]*</m[ion]>)</mrow>", r"\1", markup)  # a one-item row is the item
    return markup.replace(' xmlns="http://www.w3.org/1998/Math/MathML" display="inline"', "")


def _character(code: int) -> str:
    return html.escape(chr(code)) if chr(code) in "<>&\"'" else chr(code)


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element (no "</script>" or "<!--" can close it)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def static_view(png_uri: str | None, png_width: int, steps_text: str, title: str) -> str:
    """The picture and the step list: plain HTML that survives notebook sanitisers and needs no script.

    Without `png_uri` (a graph too large for a useful static picture), `png_width` is its node count.
    """
    picture = (
        f'<div style="overflow-x: auto; max-width: 100%; border: 1px solid #ddd">'
        f'<img alt="{html.escape(title)}" src="{png_uri}" width="{png_width}" '
        f'style="max-width: none; width: {png_width}px; height: auto; display: block"></div>'
        if png_uri
        else f"<p>The graph has {png_width:,} nodes: too many for a readable static picture.</p>"
    )
    return f"""<div class="crw-static">
<p style="font-size: 13px; color: #555; margin: 4px 0">Static view. The interactive player (zoom, pan, \
step by step) needs scripts: in Jupyter, run the cell or trust the notebook.</p>
{picture}
<p style="font-weight: bold; margin: 8px 0 2px">{html.escape(title)}</p>
<div style="max-height: 420px; overflow-y: auto; border: 1px solid #eee">\
<pre style="white-space: pre-wrap; margin: 4px; font-size: 13px">{html.escape(steps_text)}</pre></div>
</div>"""


def player_html(uid: str, data: dict, static: str) -> str:
    """The player fragment: the static view, then the script that replaces it with the live player.

    `data` holds ``svg``, ``initial`` ({element id: {line key: text}}), ``frames`` (dicts with
    phase, text, math, active, receiving, edges, focus, updates), ``colours`` and ``note``.
    """
    payload = _script_json({**data, "css": PLAYER_CSS})
    script = f"{PLAYER_JS}\nchainrulePlayer(document.getElementById({json.dumps(uid)}), {payload});"
    return f'<div class="crw" id="{uid}">\n{static}\n<script>(function () {{\n{script}\n}})();</script>\n</div>'


def page(fragment: str, title: str) -> str:
    """A whole HTML document around `fragment`; its Content-Security-Policy forbids every fetch."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f'<h1 style="font-family: sans-serif; font-size: 1.2em">{html.escape(title)}</h1>\n'
        f"{fragment}\n</body>\n</html>\n"
    )


def widget_esm() -> str:
    """The player as an anywidget front end: the widget's `frame` and the player's stay in step."""
    return (
        PLAYER_JS
        + """
function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "crw";
  root.id = "crw-widget-" + Math.random().toString(36).slice(2);
  el.appendChild(root);
  const data = JSON.parse(model.get("data"));
  const player = chainrulePlayer(root, data, {
    onFrame: (k) => { model.set("frame", k); model.save_changes(); }
  });
  const sync = () => { if (model.get("frame") !== player.frame()) { player.show(model.get("frame")); } };
  model.on("change:frame", sync);
  sync();
  return () => { model.off("change:frame", sync); player.destroy(); };
}
export default { render };
"""
    )
