"""Put a script's table into README.md between two marker comments, so no table is typed by hand."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from autograd.files import atomic_write

README = Path(__file__).resolve().parent.parent / "README.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}: written by benchmarks/ -->", f"<!-- end of {name} -->"


def section(name: str, body: str) -> str:
    start, end = markers(name)
    return f"{start}\n{body}\n{end}"


def update(name: str, body: str) -> None:
    """Replace the text between the markers named `name` in README.md with `body`."""
    start, end = markers(name)
    text = README.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"README.md has no {start} ... {end} markers")
    before, rest = text.split(start, 1)
    atomic_write(README, before + section(name, body) + rest.split(end, 1)[1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
