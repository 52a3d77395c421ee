"""API of saved work-queue views (registered before the case routes, so that
`/cases/saved-views` is not read as a case id)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from policydesk.core.api_auth import actor_of
from policydesk.core.api_schemas import CREATE_ERRORS, ERRORS, Id

from . import saved_views
from .models import SavedView

router = Router(tags=["cases"])


QueueView = Literal[
    "mine",
    "team",
    "open",
    "breaching",
    "breached",
    "escalated",
    "waiting",
    "unassigned",
    "finished",
]


class SavedViewFiltersIn(Schema):
    """The filters of GET /cases that the view keeps (those left empty are not kept)."""

    model_config = ConfigDict(extra="forbid")

    process: str = Field("", max_length=48)
    channel: str = Field("", max_length=16)
    priority: int | None = Field(None, ge=0, le=99, strict=True)
    state: str = Field("", max_length=48)
    tag: str = Field("", max_length=40)
    assignee: Id | None = None
    team: Id | None = None
    customer: Id | None = None
    number: str = Field("", max_length=32)


class SavedViewIn(Schema):
    name: str = Field(min_length=1, max_length=60, pattern=r"\S")
    view: QueueView
    filters: SavedViewFiltersIn | None = None


class SavedViewOut(Schema):
    id: int
    name: str
    view: str
    filters: dict[str, str | int]
    created_at: dt.datetime


def _out(saved: SavedView) -> dict[str, Any]:
    return {
        "id": saved.pk,
        "name": saved.name,
        "view": saved.view,
        "filters": saved.filters,
        "created_at": saved.created_at,
    }


@router.get(
    "/cases/saved-views",
    response={200: list[SavedViewOut], **ERRORS},
    summary="My saved queue views",
)
def saved_view_list(request: HttpRequest) -> Any:
    return [_out(saved) for saved in saved_views.saved_views(actor_of(request))]


@router.post(
    "/cases/saved-views",
    response={201: SavedViewOut, **CREATE_ERRORS},
    summary="Save a queue view with its filters (the same name replaces it)",
)
def saved_view_save(request: HttpRequest, payload: SavedViewIn) -> Any:
    saved = saved_views.saved_view_save(
        by=actor_of(request),
        name=payload.name,
        view=payload.view,
        filters=payload.filters.model_dump(exclude_none=True) if payload.filters else {},
    )
    return Status(201, _out(saved))


@router.delete(
    "/cases/saved-views/{saved_view_id}",
    response={204: None, **ERRORS},
    summary="Delete one of my saved views",
)
def saved_view_delete(request: HttpRequest, saved_view_id: Id) -> Any:
    saved_views.saved_view_delete(by=actor_of(request), saved_view_id=saved_view_id)
    return Status(204, None)
