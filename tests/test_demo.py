"""`make demo` runs on the base install (no matplotlib) and says what it made."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from nn import data, demo

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_without_matplotlib_and_prints_the_decision_boundary(tmp_path):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # as if it were not installed
        f"from nn import demo; demo.main(['--out', {str(tmp_path)!r}])"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "s1 = w0.0.0*x1 + w0.0.1*x2 + w0.0.2*x3 = 0.5*1 + (-0.25)*2 + 0.5*3 = 1.5" in out
    assert "training accuracy 100%" in out
    boundary = [line for line in out.splitlines() if line.startswith("|") and line.endswith("|")]
    assert len(boundary) == 20 and all(len(line) == 66 for line in boundary)
    assert sum(line.count("o") + line.count("x") for line in boundary) > 80  # most of the 100 points
    assert (tmp_path / "three_layer.svg").read_text().lstrip().startswith("<?xml")
    assert "<html" in (tmp_path / "backprop.html").read_text()
    assert not (tmp_path / "moons.png").exists() and "make notebooks" in out


def test_with_matplotlib_the_demo_also_draws_moons_png(tmp_path):
    pytest.importorskip("matplotlib")
    X, labels = data.make_moons(20, noise=0.1, seed=1)
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(
        model, X, data.signed_labels(labels), loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(), lr=0.1),
        epochs=2, progress=False,
    )  # fmt: skip
    demo.moons_picture(model, X, labels, history, tmp_path / "moons.png")
    assert (tmp_path / "moons.png").read_bytes().startswith(b"\x89PNG")


def test_make_demo_installs_only_chainrules_dependencies():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; on 3.10 the demo installs chainrule itself
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    done = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    (install,) = [line for line in done.stdout.splitlines() if "pip install" in line]
    assert shlex.split(install.split("pip install --quiet ")[1]) == dependencies  # quoted: no `>` redirection


def test_ci_sets_up_what_make_test_needs():
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo: $(DEMO_STAMP)\n" in makefile and "\ntest: $(TEST_STAMP)\n" in makefile
    assert "\nTEST_STAMP      := $(VENV)/.chainrule-test\n" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make .venv/.chainrule-test" in ci and "\nmake test\n" in ci


def test_make_notebooks_starts_jupyterlab_on_localhost_and_allows_root_only_for_root():
    done = subprocess.run(["make", "-n", "notebooks"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (command,) = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert "--ip 127.0.0.1" in command and command.endswith("notebooks/")
    assert ("--allow-root" in command) == (os.geteuid() == 0)
