"""How the step-through player copes with a big graph: a Walkthrough of ~2,000 drawn nodes (values and
operations), built in Python, then opened in headless Chromium at 1280x800. Prints the build times,
the page size, and in the page: time to the first frame, per step (Next), per step back (Prev), and
for jumping from the first frame to the last and back with the slider. Run:
.venv/bin/python benchmarks/player_speed.py [--nodes 2000]"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from render_times import graph_with_about  # benchmarks/render_times.py, beside this script

import autograd

STEP_JS = """([go, times]) => {
  const button = document.querySelector(`button[data-go="${go}"]`);
  const took = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    button.click();
    document.querySelector(".crw-view").getBoundingClientRect();  // include the layout the step caused
    took.push(performance.now() - t);
  }
  return took;
}"""
JUMP_JS = """(value) => {
  const slider = document.querySelector(".crw-slider");
  const t = performance.now();
  slider.value = String(value);
  slider.dispatchEvent(new Event("input"));
  document.querySelector(".crw-view").getBoundingClientRect();
  return performance.now() - t;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=2000)
    args = parser.parse_args()
    loss, drawn = graph_with_about(args.nodes)
    started = time.perf_counter()
    walkthrough = autograd.Walkthrough(loss, max_nodes=drawn + 10)
    built = time.perf_counter() - started
    started = time.perf_counter()
    path = walkthrough.save(Path(tempfile.mkdtemp()) / "big.html")
    saved = time.perf_counter() - started
    print(f"{drawn:,} drawn nodes, {len(walkthrough):,} frames")
    size = path.stat().st_size / 1e6
    print(f"Walkthrough(): {built:.2f} s; save() (layout, static view, formulas): {saved:.2f} s; page {size:.1f} MB")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_selector(".crw-live")
        print(f"page load to first frame: {time.perf_counter() - started:.2f} s")
        forward = page.evaluate(STEP_JS, ["next", 200])
        back = page.evaluate(STEP_JS, ["prev", 200])
        to_end = page.evaluate(JUMP_JS, len(walkthrough))
        to_start = page.evaluate(JUMP_JS, 1)
        print(f"Next: median {statistics.median(forward):.1f} ms, max {max(forward):.1f} ms (200 steps)")
        print(f"Prev: median {statistics.median(back):.1f} ms, max {max(back):.1f} ms (200 steps)")
        print(f"slider first -> last: {to_end:.0f} ms; last -> first: {to_start:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
