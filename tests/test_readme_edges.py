"""The README's "Behaviour at the edges" table says what the code does: each row with code is run
here and its result compared; each other row names a test that exists."""

from __future__ import annotations

import builtins
import copy
import math
import pickle
import re
from pathlib import Path

import pytest

import autograd
import nn
from autograd import Value, grad, no_grad, value_and_grad

ROOT = Path(__file__).resolve().parents[1]


def _rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Behaviour at the edges", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 3 and cells[1] not in ("you write", "---"):
            rows.append(tuple(cells))
    return rows


def _code(cell: str) -> str | None:
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match.group(1) if match else None


ROWS = _rows()
NAMESPACE = {"Value": Value, "autograd": autograd, "nn": nn, "math": math, "copy": copy, "pickle": pickle,
             "grad": grad, "no_grad": no_grad, "value_and_grad": value_and_grad,
             "model": nn.MLP(2, [3, 1], seed=0)}  # fmt: skip


def test_the_table_is_there_and_covers_numbers_protocols_and_files():
    assert len(ROWS) >= 20
    checked = [row for row in ROWS if _code(row[1]) and (_code(row[2]) or re.match(r"\w+Error", row[2]))]
    assert len(checked) >= 12


@pytest.mark.parametrize("row", ROWS, ids=[row[1][:50] for row in ROWS])
def test_each_row_holds(row):
    what, written, result = row
    code, expected = _code(written), _code(result)
    error = re.match(r"(\w+Error)", result)
    if code and (expected or error):
        if error:
            with pytest.raises(getattr(builtins, error.group(1))) as caught:
                eval(code, dict(NAMESPACE))  # noqa: S307 - the README's own examples
            said = re.match(r"\w+Error: (.*?)(?: \(`tests/.*)?$", result)  # what the message says, if given
            detail = said.group(1) if said else ""
            for part in (p.strip() for p in detail.split("…") if p.strip()):
                assert part in str(caught.value), (part, str(caught.value))
        else:
            assert repr(eval(code, dict(NAMESPACE))) == expected  # noqa: S307
    cited = re.findall(r"tests/(\w+\.py)::(\w+)", " ".join(row))
    if not (code and (expected or error)):
        assert cited, f"a row that is not run must name its test: {row}"
    for path, name in cited:
        assert re.search(rf"^def {name}\(", (ROOT / "tests" / path).read_text(), flags=re.M), (path, name)
