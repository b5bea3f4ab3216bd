"""The project's promises: README code runs as printed, names clash clearly, CI runs `make test`."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


def expected_output(block: str) -> list[str]:
    """The `# ...` comments after print(...) calls: what the block says it prints."""
    return [m.group(1) for m in re.finditer(r"^\s*print\(.*\)\s*#\s?(.*)$", block, flags=re.M)]


@pytest.mark.parametrize("index", range(len(python_blocks((ROOT / "README.md").read_text()))))
def test_every_readme_code_block_runs_and_prints_what_it_says(index, tmp_path, monkeypatch):
    block = python_blocks((ROOT / "README.md").read_text())[index]
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"README block {index}", "exec"), {"__name__": "__readme__"})  # noqa: S102
    promised = expected_output(block)
    if promised:
        assert out.getvalue().splitlines()[: len(promised)] == promised


def shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_readme_shell_line_works(tmp_path):
    """`make` lines name real targets (running them here would recurse); `chainrule` lines run."""
    makefile = (ROOT / "Makefile").read_text()
    for line in shell_lines():
        command, *args = shlex.split(line)
        if command == "make":
            assert all(re.search(rf"^{target}:", makefile, flags=re.M) for target in args), line
        else:
            assert command == "chainrule", line
            done = subprocess.run([sys.executable, "-m", "autograd.cli", *args], cwd=tmp_path, capture_output=True)
            assert done.returncode == 0, (line, done.stderr)
    assert (tmp_path / "graph.svg").exists()


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("\n\n")[:3]
    assert "make demo" in "\n".join(head) and "make test" in "\n".join(head)


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_import_nn_with_a_foreign_autograd_fails_with_a_clear_message(tmp_path):
    foreign = tmp_path / "autograd"
    foreign.mkdir()
    (foreign / "__init__.py").write_text("# HIPS autograd stand-in\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); sys.path.insert(1, {str(ROOT)!r}); import nn"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "HIPS autograd" in done.stderr and "virtual environment" in done.stderr


def test_autograd_shows_the_engine_and_its_graph_readers_live_in_autograd_view():
    """Opening autograd/ shows the engine; the pictures, steps and player are one folder down."""
    import importlib

    import autograd
    from autograd import view

    package = Path(autograd.__file__).parent
    for name in view.MODULES:
        assert not (package / f"{name}.py").exists()
        assert (package / "view" / f"{name}.py").exists()
    assert {"value.py", "graph.py", "rules.py", "functional.py"} <= {p.name for p in package.glob("*.py")}
    # the old module names still import, and give the very same module (one Graph class, not two)
    for name in ("drawing", "render", "steps", "player", "walkthrough"):
        assert importlib.import_module(f"autograd.{name}") is importlib.import_module(f"autograd.view.{name}")
    from autograd.drawing import Graph

    assert Graph is autograd.Graph


def test_a_built_wheel_carries_the_player_script_and_style(tmp_path):
    """package-data follows the player into autograd/view (a missing player.js breaks every player)."""
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True)  # fmt: skip
    (wheel,) = tmp_path.glob("chainrule-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"autograd/view/player.js", "autograd/view/player.css", "autograd/view/__init__.py"} <= names


@pytest.mark.parametrize("script", sorted((ROOT / "docs").glob("make_*.py")), ids=lambda p: p.name)
def test_the_docs_scripts_import(script):
    """The scripts that regenerate docs/ and the notebooks are run by hand: at least they must import."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"docs_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs the imports; main() waits for `if __name__ == "__main__"`
    assert callable(module.main)
