"""Saved queue views: kept per person under a name, opened again from the queue page,
listed and applied through the API; nobody else sees them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from policydesk.cases import saved_views
from policydesk.cases.models import SavedView
from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent
from tests.conftest import World, signed_in

API = "/api/v1/cases/saved-views"


def _post(client: Any, body: dict[str, Any]) -> Any:
    return client.post(API, data=json.dumps(body), content_type="application/json")


def test_the_queue_page_saves_and_reopens_a_view(world: World) -> None:
    client = signed_in(world.teller_a)
    page = client.get(reverse("cases:queue"), {"view": "open", "priority": "3"})
    assert 'id="sv-name"' in page.content.decode()
    answer = client.post(
        reverse("cases:saved_view_save"),
        {"name": "Urgent open", "view": "open", "query": "view=open&priority=3&after=9"},
    )
    saved = SavedView.objects.get(owner=world.teller_a)
    assert (saved.name, saved.view, saved.filters) == ("Urgent open", "open", {"priority": 3})
    assert answer.status_code == 302
    opened = client.get(reverse("cases:saved_view_open", args=[saved.pk]))
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"{reverse('cases:queue')}?view=open&priority=3"
    listed = client.get(reverse("cases:queue")).content.decode()
    assert "Urgent open" in listed
    assert AuditEvent.objects.filter(action="cases.saved_view.save").count() == 1
    # The same name replaces the view; another person cannot open or delete it.
    saved_views.saved_view_save(by=world.teller_a, name="Urgent open", view="mine", filters={})
    assert SavedView.objects.get(owner=world.teller_a).view == "mine"
    other = signed_in(world.teller_b)
    assert other.get(reverse("cases:saved_view_open", args=[saved.pk])).status_code == 404
    assert other.post(reverse("cases:saved_view_delete", args=[saved.pk])).status_code == 404
    assert client.post(reverse("cases:saved_view_delete", args=[saved.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_the_api_lists_saves_and_deletes_my_views(world: World) -> None:
    client = signed_in(world.teller_a)
    created = _post(
        client, {"name": "Complaints", "view": "open", "filters": {"process": "complaint"}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["filters"] == {"process": "complaint"}
    assert [v["name"] for v in client.get(API).json()] == ["Complaints"]
    assert signed_in(world.teller_b).get(API).json() == []
    # Applied to the list: the saved view's filters are GET /cases parameters.
    cases = client.get("/api/v1/cases", {"view": body["view"], **body["filters"]})
    assert cases.status_code == 200
    assert signed_in(world.teller_b).delete(f"{API}/{body['id']}").status_code == 404
    assert client.delete(f"{API}/{body['id']}").status_code == 204
    assert client.get(API).json() == []


@pytest.mark.parametrize(
    ("name", "view", "filters", "field"),
    [
        ("", "open", {}, "name"),
        ("x" * 61, "open", {}, "name"),
        ("Mine", "everything", {}, "view"),
        ("Mine", "open", {"colour": "red"}, "filters"),
        ("Mine", "open", {"priority": "high"}, "filters"),
    ],
)
def test_a_bad_view_is_refused_with_its_field(
    world: World, name: str, view: str, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        saved_views.saved_view_save(by=world.teller_a, name=name, view=view, filters=filters)
    assert refused.value.field == field
    assert not SavedView.objects.exists()
