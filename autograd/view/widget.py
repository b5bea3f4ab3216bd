"""The step-through player as a Jupyter widget: the HTML player's own script, driven through anywidget.

`Walkthrough.widget()` returns a `WalkthroughWidget`. Its ``frame`` (0-based, like Python indices;
the player shows it counting from 1) is shared with the page: step in the page and the kernel sees
it; set it from the kernel and the page moves. Saved in a notebook without widget state, its output
still shows the static picture and the step list (the widget adds them to its display bundle).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import anywidget
import traitlets

from autograd.view import player

if TYPE_CHECKING:
    from autograd.view.walkthrough import Walkthrough


class WalkthroughWidget(anywidget.AnyWidget):
    """A Walkthrough you can step from the page (buttons, slider, keys) or from the kernel (``.frame``)."""

    _esm = player.widget_esm()
    data = traitlets.Unicode("").tag(sync=True)  # the player's JSON: SVG, frames, colours
    frame = traitlets.Int(0).tag(sync=True)

    def __init__(self, walkthrough: Walkthrough, **kwargs) -> None:
        super().__init__(data=json.dumps({**walkthrough._data(), "css": player.PLAYER_CSS}), **kwargs)
        self._walkthrough = walkthrough

    @traitlets.validate("frame")
    def _valid_frame(self, proposal) -> int:
        count = len(self._walkthrough.frames) if hasattr(self, "_walkthrough") else 1
        if not 0 <= proposal["value"] < count:
            raise traitlets.TraitError(f"frame must be in 0..{count - 1}, got {proposal['value']}")
        return proposal["value"]

    @property
    def text(self) -> str:
        """What the player says at the current frame, with its number counted from 1 as the page shows it."""
        f = self._walkthrough.frames[self.frame]
        return f"{self.frame + 1} / {len(self._walkthrough.frames)} {f.phase}: {f.text}"

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/html"] = '<div class="crw">' + self._walkthrough._static() + "</div>"
        data["text/plain"] = "Walkthrough widget (run the notebook to step through it)\n" + self._walkthrough_table()
        return bundle

    def _walkthrough_table(self) -> str:
        from autograd.view.walkthrough import steps_table_from

        return steps_table_from(self._walkthrough)
