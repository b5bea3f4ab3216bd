"""Shared test helpers: the PyTorch reference (skipped cleanly when torch is absent), and a browser."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# CI (.ci/run sets CHAINRULE_CI=1) draws the same random examples every run, so that a red CI means
# the change broke something, not that this run drew an unlucky graph; `make test` elsewhere keeps
# drawing new ones, which is how new edge cases are found (and then fixed at their root).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CHAINRULE_CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def torch():
    """PyTorch in float64, the reference implementation; tests using it skip without torch."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (tests/chromium.py), one per test module; tests using it skip without it."""
    import chromium

    with chromium.sync_api().sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()
