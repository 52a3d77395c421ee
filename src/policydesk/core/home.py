"""The home page's cards: what this role works on, and a few figures it may see."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import can
from .pagination import bounded_count


def home_cards(user: Any) -> list[dict[str, Any]]:
    from policydesk.org.selectors import branches_visible, staff_visible

    cards: list[dict[str, Any]] = []
    if can(user, "cases.view"):
        from policydesk.cases.rules_selectors import unread_count

        unread = unread_count(user)
        cards.append(
            {
                "title": _("Unread notices"),
                "value": "99+" if unread > 99 else unread,
                "url": reverse("cases:notifications"),
            }
        )
    if can(user, "org.branch.view"):
        cards.append(
            {
                "title": _("Branches you see"),
                "value": bounded_count(branches_visible(user)),
                "url": reverse("org:branches"),
            }
        )
    if can(user, "org.staff.view"):
        cards.append(
            {
                "title": _("Active staff"),
                "value": bounded_count(staff_visible(user)),
                "url": reverse("org:staff_list"),
            }
        )
    if can(user, "audit.view"):
        from .selectors import audit_events_visible

        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        today = audit_events_visible(user).filter(occurred_at__gte=start)
        cards.append(
            {
                "title": _("Audit events today"),
                "value": bounded_count(today),
                "url": reverse("core:audit_log"),
            }
        )
        refused = today.filter(
            action__in=["access.refused", "auth.login_failed", "auth.locked_out"]
        )
        cards.append(
            {
                "title": _("Refused accesses and failed log-ins today"),
                "value": bounded_count(refused),
                "url": reverse("core:audit_log") + "?action=access.refused",
            }
        )
    return cards
