"""The API's JSON: one writer and one format, and the page-only middleware it passes by."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest
from django.test import Client
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from policydesk.cases import services
from policydesk.cases.api import QueueOut, summary_out
from policydesk.cases.models import Case, Process
from policydesk.cases.selectors import case_queue
from policydesk.core.api_json import CONTENT_TYPE, PydanticRenderer, json_response, to_json
from policydesk.core.api_schemas import as_json
from policydesk.core.middleware_pages import API_CONTENT_SECURITY_POLICY
from tests.conftest import World, signed_in

UTC = dt.UTC
PLUS_8 = dt.timezone(dt.timedelta(hours=8))


def test_the_writer_gives_times_in_rfc_3339_with_microseconds_and_z_for_utc() -> None:
    written = json.loads(
        to_json(
            {
                "at": dt.datetime(2026, 12, 2, 8, 30, 5, 123456, tzinfo=UTC),
                "whole": dt.datetime(2026, 12, 2, 8, 30, tzinfo=UTC),
                "local": dt.datetime(2026, 12, 2, 16, 30, tzinfo=PLUS_8),
                "day": dt.date(2026, 12, 2),
                "amount": decimal.Decimal("1200.50"),
                "key": uuid.UUID(int=1),
                "label": gettext_lazy("Open"),
                "name": "陈美玲",
            }
        )
    )
    assert written == {
        "at": "2026-12-02T08:30:05.123456Z",
        "whole": "2026-12-02T08:30:00Z",
        "local": "2026-12-02T16:30:00+08:00",
        "day": "2026-12-02",
        "amount": "1200.50",
        "key": "00000000-0000-0000-0000-000000000001",
        "label": "Open",
        "name": "陈美玲",
    }


def test_text_is_sent_as_utf_8_and_an_unknown_type_is_refused() -> None:
    assert to_json({"name": "陈美玲"}) == '{"name":"陈美玲"}'.encode()
    with pytest.raises(ValueError, match="object cannot be written as JSON"):
        to_json({"x": object()})


class _Stamp(BaseModel):
    at: dt.datetime
    amount: decimal.Decimal


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
def test_the_renderer_and_a_stored_replay_write_the_same_json(
    at: dt.datetime, amount: decimal.Decimal
) -> None:
    """What ninja renders (a model dumped to Python, then written) and what an idempotent
    replay stores (`as_json`, pydantic's JSON mode) are the same document."""
    model = _Stamp(at=at, amount=amount)
    rendered = PydanticRenderer().render(None, model.model_dump(), response_status=200)  # type: ignore[arg-type]
    assert json.loads(rendered) == as_json(_Stamp, {"at": at, "amount": amount})
    assert json.loads(rendered) == json.loads(model.model_dump_json())


def test_the_case_list_writes_what_its_schema_validates(world: World, enquiry: Process) -> None:
    for subject in ("a", "b"):
        services.case_open(
            process=enquiry, channel="phone", branch=world.branch_a, subject=subject, by=None
        )
    response = signed_in(world.teller_a).get("/api/v1/cases", {"view": "open"})
    assert response.status_code == 200 and response["Content-Type"] == CONTENT_TYPE
    queue = case_queue(world.teller_a, "open")
    expected = {
        "view": "open",
        "items": [summary_out(row) for row in queue.page.items],
        "next_cursor": None,
        "count": 2,
        "count_exceeds": False,
    }
    assert response.json() == QueueOut.model_validate(expected).model_dump(mode="json")
    first = Case.objects.order_by("id").first()
    assert first is not None
    written = response.json()["items"][0]["opened_at"]
    assert dt.datetime.fromisoformat(written) == first.opened_at


def test_json_response_refuses_an_answer_its_schema_does_not_allow() -> None:
    with pytest.raises(ValueError, match="count"):
        json_response(QueueOut, {"view": "open", "items": [], "next_cursor": None})


def test_an_api_call_has_no_message_store_and_a_policy_that_allows_nothing(world: World) -> None:
    client = signed_in(world.teller_a)
    api = client.get("/api/v1/me")
    assert api.status_code == 200
    assert api["Content-Security-Policy"] == API_CONTENT_SECURITY_POLICY
    assert not hasattr(api.wsgi_request, "_messages")
    assert not hasattr(api.wsgi_request, "csp_nonce")
    page = client.get("/")
    assert hasattr(page.wsgi_request, "_messages")
    assert "'nonce-" in page["Content-Security-Policy"]


def test_the_api_documentation_page_is_a_page(world: World) -> None:
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert "default-src 'self'" in docs["Content-Security-Policy"]  # the pages' policy
    assert hasattr(docs.wsgi_request, "_messages")
