"""Schemas shared by every router: the error envelope and bounded id parameters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator

# Ids are positive 64-bit integers; larger values get a 422 instead of a database overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class FieldError(Schema):
    field: str
    message: str


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None
    fields: list[FieldError] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# The errors any authenticated operation may answer (docs/api.md lists the codes).
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}
CREATE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: ErrorOut}


def as_json(schema: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """An answer as stored for an idempotent replay: plain JSON (dates as ISO strings)."""
    return schema.model_validate(data).model_dump(mode="json")


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    # Pydantic would read "0" or "1700000000" as a Unix time; a day is written YYYY-MM-DD.
    if isinstance(value, str) and not ISO_DAY.match(value):
        raise ValueError("give the day as YYYY-MM-DD")
    return value


# A calendar day in a query or body, as YYYY-MM-DD only.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_day)]
