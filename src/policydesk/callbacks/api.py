"""API of Post-sale callbacks (placeholder router until the app's operations land)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["callbacks"])
