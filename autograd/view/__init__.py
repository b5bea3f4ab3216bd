"""The graph's readers: everything that turns a graph into something to look at.

`drawing` (the graph as Graphviz dot), `render` (dot to SVG/PNG, pip-only), `steps` (the chain rule
as a list of products), `player` (the step-through player as HTML), `walkthrough` (the player's
frames, and its views), `widget` (the player as a Jupyter widget). They read the graph that
`autograd.value` builds and never change how it computes. `autograd/` itself holds the engine.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MODULES = ("drawing", "render", "steps", "player", "walkthrough", "widget")


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Old names keep working: ``import autograd.drawing`` gives the module ``autograd.view.drawing``
    (the very same object, so classes and isinstance checks agree) — these modules lived in
    `autograd/` until the view subpackage was made."""

    old_names = {f"autograd.{name}": f"autograd.view.{name}" for name in MODULES}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.old_names:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module(self.old_names[spec.name])

    def exec_module(self, module):
        pass  # the module ran under its own name already


if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
    sys.meta_path.append(_Alias())
