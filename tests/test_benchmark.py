"""The benchmark script runs (on a tiny size: benchmarks are not timed tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_on_a_tiny_size_and_both_engines_agree(tmp_path):
    pytest.importorskip("micrograd")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "demo step, garbage charged (ms)" in done.stdout and "micrograd / chainrule" in done.stdout
    results = json.loads(out.read_text())
    assert results["demo_step"]["max_loss_difference"] < 1e-9
    assert set(results["demo_step"]["ms"]) == {"ours", "ours_gc_off", "micrograd", "micrograd_gc_off", "plain"}
    assert results["memory"]["chainrule"]["nodes"] == results["memory"]["micrograd"]["nodes"]


def test_readme_benchmark_table_is_the_scripts_output_not_typed():
    pytest.importorskip("micrograd")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench
    finally:
        sys.path.pop(0)
    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    import readme

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
