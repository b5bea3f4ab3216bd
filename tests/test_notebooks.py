"""The committed notebooks: outputs saved, small, no widget state, graphs visible, HTML export works.

(Executing them top to bottom is nbmake's job: `make test` runs pytest with --nbmake on notebooks/.)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_five_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == [
        "01_computation_overview.ipynb",
        "02_backprop_step_through.ipynb",
        "03_training_an_mlp.ipynb",
        "04_from_chainrule_to_pytorch.ipynb",
        "05_the_derivative_as_a_program.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_with_outputs_small_and_without_widget_state(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert path.stat().st_size < 600_000
    assert "widgets" not in notebook.metadata
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "run the notebook before committing it"
    assert any(cell.outputs for cell in code)
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # saved without widget state, a widget view would tell a trusted reader "model not found":
    # docs/make_notebooks.py keeps only the widget's static picture (running the cell brings it back)
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    # a progress bar (or anything else) on stderr is drawn as a red block that looks like an error
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    for output in outputs:  # graphs must show without running: an SVG always comes with a PNG
        if "image/svg+xml" in output.get("data", {}):
            assert "image/png" in output.data


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_exports_to_html(path):
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert "<html" in body and len(body) > 10_000


def test_the_step_through_notebook_carries_the_player_and_its_fallback():
    notebook = nbformat.read(NOTEBOOKS[1], as_version=4)
    html = [
        o.data["text/html"]
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "text/html" in o.get("data", {})
    ]
    assert html and 'class="crw"' in html[0] and "data:image/png;base64," in html[0] and "<script>" in html[0]


def test_the_widget_cell_of_notebook_02_keeps_a_picture_and_the_steps_not_a_dead_widget():
    notebook = nbformat.read(NOTEBOOKS[1], as_version=4)
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and ".widget()" in c.source]
    (output,) = cell.outputs
    assert set(output.data) == {"text/html", "text/plain"}
    html = output.data["text/html"]
    assert "<img" in html and "data:image/png;base64," in html and "<script" not in html
    assert "[backward]" in html or "∂" in html  # the step list comes with the picture


def test_make_notebooks_drops_widget_views_only_where_a_picture_stands_in():
    import sys

    sys.path.insert(0, str(NOTEBOOKS[0].parents[1] / "docs"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    view = {"model_id": "x", "version_major": 2, "version_minor": 0}
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {"state": {}}
    picture = "<img src='data:image/png;base64,AA'>"
    with_picture = {make_notebooks.WIDGET_VIEW: view, "text/html": picture, "text/plain": "w"}
    without = {make_notebooks.WIDGET_VIEW: view, "text/plain": "w"}
    notebook.cells = [
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data=data)])
        for data in (with_picture, without)
    ]
    assert make_notebooks.without_widget_views(notebook) == 1
    assert set(notebook.cells[0].outputs[0].data) == {"text/html", "text/plain"}
    assert make_notebooks.WIDGET_VIEW in notebook.cells[1].outputs[0].data  # nothing else to show: kept
    assert "widgets" not in notebook.metadata
