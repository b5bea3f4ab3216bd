"""DOT source to SVG or PNG, with whichever Graphviz build this machine has.

Order of preference: the system ``dot`` on PATH (Graphviz proper), then ``graphviz-pure`` (a
pip-installed build of Graphviz that chainrule depends on, so rendering works after a plain
``pip install``). When neither is found, `GraphvizNotFound` says what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

FORMATS = ("svg", "png", "pdf", "dot")


class GraphvizNotFound(RuntimeError):
    """No Graphviz build could be found to lay out a graph."""


class RenderError(RuntimeError):
    """Graphviz ran but failed (bad DOT source, or a format this build cannot write)."""


def find_graphviz() -> list[str]:
    """The command that lays out DOT source: system ``dot`` first, then ``graphviz-pure``."""
    system_dot = shutil.which("dot")
    if system_dot:
        return [system_dot]
    # The venv's scripts folder may not be on PATH (e.g. `.venv/bin/python` run directly).
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts")]
    for folder in (None, *folders):
        found = shutil.which("graphviz-pure", path=folder)
        if found:
            return [found]
    raise GraphvizNotFound(
        "No Graphviz build found to lay out the graph. Install either the system Graphviz "
        "('apt-get install graphviz' or 'brew install graphviz', which provides 'dot') or the "
        "pip package 'graphviz-pure' ('pip install graphviz-pure', a chainrule dependency). "
        "The DOT source is still available as `.source`."
    )


def render_dot(source: str, format: str = "svg", timeout: float | None = 60.0) -> bytes:  # noqa: A002
    """Lay out DOT `source` and return the picture as bytes (`format`: svg, png, pdf or dot)."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if format == "dot":
        return source.encode()
    return _graphviz(source, format, timeout)


def _graphviz(source: str, format: str, timeout: float | None) -> bytes:  # noqa: A002
    """Run Graphviz on `source` with ``-T<format>``; its output, or RenderError saying why not."""
    command = [*find_graphviz(), f"-T{format}"]
    if format == "pdf" and Path(command[0]).name.startswith("graphviz-pure"):
        raise RenderError("graphviz-pure cannot write PDF yet; install the system Graphviz for PDF, or use svg or png")
    try:
        done = subprocess.run(command, input=source.encode(), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz took longer than {timeout} s to lay out the graph; draw fewer nodes") from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip()
        raise RenderError(f"{Path(command[0]).name} -T{format} failed: {message or 'no output'}")
    return done.stdout


def layout(source: str, timeout: float | None = 60.0) -> dict:
    """Graphviz's layout of DOT `source`, without drawing it: Graphviz's ``json0`` output, parsed.

    Positions are in points (``"x,y"``, y up), each node has its ``width`` and ``height`` in inches,
    each edge its spline (``pos``, Graphviz's ``"e,x,y x1,y1 ..."``) and attributes. For painting a
    picture whose shapes stay put while its colours and numbers change, laid out only once.
    """
    return json.loads(_graphviz(source, "json0", timeout))
