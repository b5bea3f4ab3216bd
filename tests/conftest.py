"""Shared test helpers: the PyTorch reference (skipped cleanly when torch is absent), and a browser."""

from __future__ import annotations

import pytest


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
