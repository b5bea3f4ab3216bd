"""Shared test helpers: the PyTorch reference (skipped cleanly when torch is absent)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def torch():
    """PyTorch in float64, the reference implementation; tests using it skip without torch."""
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    return torch
