"""Saved work-queue views: a person keeps a queue view with its filters under a name, and
opens it again from the queue page or applies it to the API list."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError, NotVisible
from policydesk.org.models import Staff

from .models import SavedView
from .selectors import VIEWS, QueueFilters

MAX_SAVED_VIEWS = 30  # per person
# The filters a view keeps, as QueueFilters names them, with the type each holds.
FILTER_TYPES: dict[str, type] = {
    "process": str,
    "channel": str,
    "priority": int,
    "state": str,
    "tag": str,
    "assignee": int,
    "team": int,
    "customer": int,
    "number": str,
}


def saved_views(user: Any) -> list[SavedView]:
    """The user's own saved views, by name."""
    require(user, "cases.view")
    return list(SavedView.objects.filter(owner=user).order_by("name", "id")[:MAX_SAVED_VIEWS])


def saved_view_filters(saved: SavedView) -> QueueFilters:
    return QueueFilters(**{k: v for k, v in saved.filters.items() if k in FILTER_TYPES})


def _clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in filters.items():
        kind = FILTER_TYPES.get(name)
        if kind is None:
            raise DomainError(_("Unknown filter %(name)s.") % {"name": name}, field="filters")
        if value in ("", None):
            continue
        if kind is int:
            if isinstance(value, bool) or not str(value).isdigit():
                raise DomainError(
                    _("Filter %(name)s is a number.") % {"name": name}, field="filters"
                )
            value = int(value)
        else:
            value = str(value)[:48]
        cleaned[name] = value
    return cleaned


@transaction.atomic
def saved_view_save(*, by: Staff, name: str, view: str, filters: dict[str, Any]) -> SavedView:
    """Keep (or replace, under the same name) a queue view with its filters."""
    require(by, "cases.view")
    name = name.strip()
    if not name or len(name) > 60:
        raise DomainError(_("Name the view (at most 60 characters)."), field="name")
    if view not in VIEWS:
        raise DomainError(_("Unknown queue view."), field="view")
    cleaned = _clean_filters(filters)
    existing = SavedView.objects.select_for_update().filter(owner=by, name=name).first()
    if existing is None and SavedView.objects.filter(owner=by).count() >= MAX_SAVED_VIEWS:
        raise DomainError(
            _("You keep %(n)d saved views at most: delete one first.") % {"n": MAX_SAVED_VIEWS},
            field="name",
        )
    saved, _created = SavedView.objects.update_or_create(
        owner=by, name=name, defaults={"view": view, "filters": cleaned}
    )
    audit_record(
        action="cases.saved_view.save",
        actor=by,
        target=saved,
        after={"name": name, "view": view, "filters": cleaned},
    )
    return saved


@transaction.atomic
def saved_view_delete(*, by: Staff, saved_view_id: int) -> None:
    require(by, "cases.view")
    saved = SavedView.objects.filter(owner=by, pk=saved_view_id).first()
    if saved is None:
        raise NotVisible("Not found.")
    audit_record(
        action="cases.saved_view.delete", actor=by, target=saved, before={"name": saved.name}
    )
    saved.delete()
