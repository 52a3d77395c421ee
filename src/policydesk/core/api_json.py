"""The API's JSON is written by pydantic's serializer, everywhere in one format.

django-ninja's own renderer encodes with `json.dumps` and Django's encoder, which calls back
into Python for every date and time and wrote them cut to milliseconds, while an idempotent
replay (core.api_schemas.as_json, pydantic's JSON mode) sent the same answer with
microseconds. `PydanticRenderer` writes every answer with pydantic-core instead, so the first
answer and its replay are alike: times in RFC 3339 with their microseconds and `Z` for UTC,
decimals and UUIDs as strings, text as UTF-8 (docs/api.md).

`json_response` is for a hot list: it validates the answer against its schema as ninja would
and writes the JSON in the same pass, without the intermediate Python objects."""

from __future__ import annotations

from typing import Any

import pydantic_core
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from ninja.renderers import BaseRenderer
from pydantic import BaseModel

CHARSET = "utf-8"
MEDIA_TYPE = "application/json"
CONTENT_TYPE = f"{MEDIA_TYPE}; charset={CHARSET}"  # what ninja sends with a rendered answer


def _fallback(value: Any) -> Any:
    """What pydantic-core cannot write itself: lazy translations and stray models."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def to_json(data: Any) -> bytes:
    return pydantic_core.to_json(data, fallback=_fallback)


class PydanticRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    charset = CHARSET

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return to_json(data)


def json_response(schema: type[BaseModel], data: Any, status: int = 200) -> HttpResponse:
    """`data` validated against `schema` and written as the response's JSON body."""
    body = schema.model_validate(data).model_dump_json()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)
