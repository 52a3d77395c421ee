"""API of New business (placeholder router until the app's operations land)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["newbusiness"])
