"""The compiled-step benchmark runs (on a tiny size: benchmarks are not timed tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_compiled_benchmark_runs_on_a_tiny_size_and_the_losses_agree(tmp_path):
    out = tmp_path / "compiled.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compiled.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "interactive / this" in done.stdout and "One-off cost" in done.stdout
    results = json.loads(out.read_text())
    assert results["max_loss_difference"]["compiled"] == 0.0  # the engine's arithmetic, bit for bit
    assert results["max_loss_difference"]["compiled_flat"] < 1e-12  # sums added left to right
    assert {"interactive", "compiled", "compiled_flat"} <= set(results["ms"])
