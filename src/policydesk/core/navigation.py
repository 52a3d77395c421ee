"""The navigation shell: which entries a user sees depends on the actions the role grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .access import can


@dataclass(frozen=True)
class NavEntry:
    label: str | Promise
    url_name: str
    action: str | None  # None: every signed-in user
    key: str  # access key hint for the keyboard (Alt+Shift+key)


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry(_("Home"), "core:home", None, "h"),
    NavEntry(_("Customers"), "customers:search", "customers.view", "c"),
    NavEntry(_("Cases"), "cases:queue", "cases.view", "q"),
    NavEntry(_("Complaints"), "complaints:register", "complaints.view", "o"),
    NavEntry(_("Counter"), "counter:workstation", "counter.view", "w"),
    NavEntry(_("New business"), "newbusiness:register", "newbusiness.view", "n"),
    NavEntry(_("Servicing"), "servicing:queue", "servicing.view", "g"),
    NavEntry(_("Claims"), "claims:queue", "claims.view", "l"),
    NavEntry(_("Callbacks"), "callbacks:queue", "callbacks.view", "k"),
    NavEntry(_("Account watch"), "monitoring:worklist", "monitoring.view", "m"),
    NavEntry(_("Productivity"), "counter:productivity", "counter.productivity", "y"),
    NavEntry(_("Processes"), "cases:processes", "cases.process.edit", "r"),
    NavEntry(_("Case rules"), "cases:rules_escalation", "cases.process.edit", "e"),
    NavEntry(_("Absences"), "cases:rules_absences", "cases.assign", "v"),
    NavEntry(_("Imports"), "imports:upload", "customers.import", "i"),
    NavEntry(_("Branches and teams"), "org:branches", "org.branch.view", "b"),
    NavEntry(_("Staff"), "org:staff_list", "org.staff.view", "s"),
    NavEntry(_("Permissions"), "org:permissions", "org.permissions.view", "p"),
    NavEntry(_("API tokens"), "org:tokens", "org.token.manage", "t"),
    NavEntry(_("Audit trail"), "core:audit_log", "audit.view", "a"),
    NavEntry(_("Scheduled jobs"), "core:jobs", "jobs.view", "j"),
)


def navigation_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    entries = []
    for entry in NAVIGATION:
        if entry.action is not None and not can(user, entry.action):
            continue
        url = reverse(entry.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        entries.append({"label": entry.label, "url": url, "key": entry.key, "active": active})
    return entries
