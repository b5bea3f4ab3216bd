"""Run the course notebooks top to bottom and save them the way they are committed.

Saved notebooks are read without a kernel (on GitHub, in nbviewer, on a first open in JupyterLab), so
each output must show something on its own:

* no widget state is stored (it would weigh megabytes and goes stale);
* a widget's output keeps only its static fallback (the PNG picture and the step list in `text/html`)
  and drops the widget view: without its state, JupyterLab would show a trusted reader
  "Error displaying widget: model not found" instead. Running the cell brings the widget back.

Run: .venv/bin/python docs/make_notebooks.py [notebooks/02_backprop_step_through.ipynb ...]
(all five when none is named; uses the `notebooks` extra: `make notebooks` installs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widget_views(notebook) -> int:
    """Drop widget views from outputs that have a static fallback; return how many were dropped."""
    dropped = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/html" in data:
                del data[WIDGET_VIEW]
                dropped += 1
    notebook.metadata.pop("widgets", None)
    return dropped


def run(path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    client.execute()
    dropped = without_widget_views(notebook)
    nbformat.validate(notebook)
    from autograd.files import atomic_write

    atomic_write(path, nbformat.writes(notebook) + "\n")
    print(f"{path.name}: run and saved ({dropped} widget view(s) replaced by their picture)")


def main(paths: list[str]) -> None:
    for path in [Path(p) for p in paths] or sorted(NOTEBOOKS.glob("*.ipynb")):
        run(path.resolve())


if __name__ == "__main__":
    main(sys.argv[1:])
