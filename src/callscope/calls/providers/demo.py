"""Calls made up by `callscope demo`: the generic payload, stored under its own provider."""

from __future__ import annotations

from callscope.calls.providers.generic import normalize

__all__ = ["normalize"]
