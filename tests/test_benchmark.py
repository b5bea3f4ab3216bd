"""The benchmark script runs (on a tiny size: benchmarks are not timed tests)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def benchmark_script(name: str):
    """Import benchmarks/<name>.py as the scripts there import each other (their folder on the path)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def test_benchmark_runs_on_a_tiny_size_and_every_engine_computes_the_same_losses(tmp_path):
    pytest.importorskip("micrograd")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    demo = results["demo_step"]
    for engine in ("interactive, written out", "today", "micrograd"):
        assert engine in demo["ms"] and engine + " (collector off)" in demo["ms"]
    assert {"interactive (nn.fit)", "floor", "plain forward only"} <= set(demo["ms"])
    # every engine trained from the same weights with the same learning rates: the same losses
    assert max(demo["max_loss_difference"].values()) < 1e-9
    assert set(results["targets"]) == {
        "interactive step / today's chainrule",
        "interactive step / floor",
        "compiled fit step / floor",
        "micrograd (garbage charged) / interactive step",
        "1e6-term sum: backward / build",
        "bytes per node / micrograd's",
    }
    shares = results["profile"]["now"]["share"]
    assert set(shares) == {"forward", "topological order", "backward loop", "free", "update", "zero_grad"}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert "where one step goes (cProfile" in done.stdout and "interactive step / floor" in done.stdout


def test_the_floor_computes_the_demo_step_of_the_interactive_engine():
    """The generated straight-line step gives the engine's loss and updates the weights alike."""
    floor = benchmark_script("floor")
    import autograd
    import nn
    from nn import data

    X, labels = data.make_moons(12, noise=0.1, seed=3)
    y = data.signed_labels(labels)
    model = nn.MLP(2, [4, 3, 1], seed=2)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    flat = [p.data for p in model.parameters()]
    step = floor.make_step([2, 4, 3, 1])
    for _ in range(3):
        params = optimizer.params
        loss = nn.hinge_loss([model(x) for x in X], y) + 1e-3 * autograd.dot(params, params)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert step(flat, X, y, 0.5, 1e-3) == pytest.approx(loss.data, abs=1e-12)
        assert flat == pytest.approx([p.data for p in model.parameters()], abs=1e-12)


def test_readme_benchmark_table_is_the_scripts_output_not_typed():
    pytest.importorskip("micrograd")
    bench, readme = benchmark_script("bench"), benchmark_script("readme")
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    assert readme.section("benchmark table", bench.report(results)) in (ROOT / "README.md").read_text()


def test_attribute_cost_benchmark_runs_on_a_tiny_size():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "attributes.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "bytes per node (tracemalloc)" in done.stdout and "with / without" in done.stdout


def test_live_view_benchmark_runs_on_a_tiny_size(tmp_path):
    pytest.importorskip("ipywidgets")
    out = tmp_path / "live.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "live_view.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "fit(live=True), to the last epoch" in done.stdout
    results = json.loads(out.read_text())
    (run,) = results["runs"]
    assert run["epochs"] == 2 and run["plain_s"] > 0 and run["live_training_s"] > 0
    assert run["draws"] >= 1  # the final frame at least


def test_readme_live_view_cost_table_is_the_scripts_output_not_typed():
    live_view, readme = benchmark_script("live_view"), benchmark_script("readme")
    results = json.loads((ROOT / "benchmarks" / "live_view.json").read_text())
    assert readme.section("live view cost", live_view.report(results)) in (ROOT / "README.md").read_text()
