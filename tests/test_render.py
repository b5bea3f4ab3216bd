"""render_dot: DOT to SVG/PNG through the system `dot` or the pip-installed graphviz-pure."""

from __future__ import annotations

import os
import shutil
import stat
import xml.etree.ElementTree as ET

import pytest

from autograd.view import render

TINY = 'digraph { x [label="x = 2.0"]; y [label="y = 4.0"]; x -> y [label="2x"] }'


def test_renders_a_tiny_graph_to_svg_with_the_labels():
    svg = render.render_dot(TINY, "svg").decode()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "x = 2.0" in svg and "y = 4.0" in svg and "2x" in svg


def test_renders_png():
    assert render.render_dot(TINY, "png").startswith(b"\x89PNG")


def test_uses_graphviz_pure_when_no_system_dot_is_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("dot") is None
    command = render.find_graphviz()
    assert os.path.basename(command[0]) == "graphviz-pure"
    assert b"x = 2.0" in render.render_dot(TINY, "svg")


def test_prefers_a_system_dot_on_path(monkeypatch, tmp_path):
    # A stand-in `dot` (forwarding to graphviz-pure) proves that the PATH `dot` is the one run.
    real = render.find_graphviz()[0] if shutil.which("dot") is None else shutil.which("dot")
    marker = tmp_path / "ran"
    fake = tmp_path / "dot"
    fake.write_text(f'#!/bin/sh\ntouch "{marker}"\nexec "{real}" "$@"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert render.find_graphviz() == [str(fake)]
    assert b"<svg" in render.render_dot(TINY, "svg")
    assert marker.exists()


def test_no_graphviz_at_all_names_both_ways_to_install_one(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda *a, **k: None)
    with pytest.raises(render.GraphvizNotFound) as caught:
        render.render_dot(TINY)
    message = str(caught.value)
    assert "graphviz-pure" in message and "apt-get install graphviz" in message and ".source" in message


def test_bad_source_and_unknown_format_are_clear_errors():
    with pytest.raises(render.RenderError, match="failed"):
        render.render_dot("digraph { this is not dot", "svg")
    with pytest.raises(ValueError, match="unknown format 'gif'"):
        render.render_dot(TINY, "gif")
