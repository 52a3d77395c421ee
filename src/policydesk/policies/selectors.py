"""Reads of products and policies, always scoped to the acting user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from policydesk.core.access import get_visible, require

from .models import Policy, Product


def products_visible(user: Any, *, include_inactive: bool = False) -> QuerySet[Product]:
    """Products are company-wide: any role that may see policies sees the catalogue."""
    require(user, "policies.view")
    products = Product.objects.all()
    return products if include_inactive else products.filter(is_active=True)


def policy_get(user: Any, policy_id: int) -> Policy:
    """One visible policy with its parties, status history and money events prefetched."""
    from policydesk.customers.selectors import with_policy_details

    require(user, "policies.view")
    return get_visible(with_policy_details(Policy.objects.all()), user, pk=policy_id)
