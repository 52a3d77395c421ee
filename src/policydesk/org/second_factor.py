"""Which staff must present a TOTP code, and their devices."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.core.access import requires_second_factor


def needs_second_factor(user: Any) -> bool:
    """Read with the role's scope and grants (core.access), one query for the three."""
    return requires_second_factor(user)


def second_factor_verified(user: Any) -> bool:
    """django-otp's middleware gives request.user an is_verified() method."""
    return bool(getattr(user, "is_verified", lambda: False)())


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first visit to the set-up page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="PolicyDesk", confirmed=False)
    return device
