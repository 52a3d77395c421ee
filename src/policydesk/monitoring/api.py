"""API of Account monitoring (placeholder router until the app's operations land)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["monitoring"])
