"""The ``sidak`` entry point: the library's commands plus the service's (serve, keys)."""

from __future__ import annotations

from model.cli import app

__all__ = ["app"]
