"""The staff API: create accounts (administrators only), errors, idempotency, keyset pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.core.models import AuditEvent, IdempotencyRecord
from policydesk.org import services
from policydesk.org.models import Language, Role, Skill, Staff
from tests import factories
from tests.conftest import World, signed_in

STAFF_URL = "/api/v1/staff"
NEW_PASSWORD = "Another-Strong-Pass-77"
# Queries of one GET /api/v1/staff page for a signed-in administrator, whatever its length:
# session, user, device, scope and grants, the page, and one prefetch per many-to-many.
STAFF_LIST_MAX_QUERIES = 13


def new_staff(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "username": "new_teller",
        "password": NEW_PASSWORD,
        "role": "front_teller",
        "branch_id": world.branch_a.pk,
        "display_name": "New Teller",
        "email": "new_teller@example.invalid",
        **changes,
    }


def post_staff(client: Client, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(STAFF_URL, body, content_type="application/json", **headers)


# --- Create -----------------------------------------------------------------------------


def test_an_administrator_creates_a_staff_account(world: World) -> None:
    Language.objects.create(code="yue", name="粤语", is_dialect=True)
    Skill.objects.create(code="claims", name="理赔")

    response = post_staff(
        signed_in(world.admin), new_staff(world, languages=["yue"], skills=["claims"])
    )

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "new_teller"
    assert body["branch_id"] == world.branch_a.pk
    assert body["languages"] == ["yue"]
    assert body["skills"] == ["claims"]
    staff = Staff.objects.get(pk=body["id"])
    assert staff.role == Role.FRONT_TELLER
    assert staff.check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in staff.password
    assert AuditEvent.objects.filter(
        action="org.staff.create", object_id=str(staff.pk), actor_id=world.admin.pk
    ).exists()


def test_a_head_of_service_cannot_create_a_staff_account(world: World) -> None:
    before = Staff.objects.count()

    response = post_staff(signed_in(world.head), new_staff(world))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert Staff.objects.count() == before
    assert not Staff.objects.filter(username="new_teller").exists()
    assert not AuditEvent.objects.filter(action="org.staff.create", actor_id=world.head.pk).exists()
    assert AuditEvent.objects.filter(action="access.refused", actor_id=world.head.pk).exists()


def test_an_anonymous_caller_cannot_create_a_staff_account(world: World) -> None:
    response = post_staff(Client(), new_staff(world))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not Staff.objects.filter(username="new_teller").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": "wizard"}, "role"),
        ({"username": ""}, "username"),
        ({"branch_id": "north"}, "branch_id"),
        ({"languages": "yue"}, "languages"),
    ],
)
def test_an_invalid_request_is_a_422_naming_the_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    before = Staff.objects.count()

    response = post_staff(signed_in(world.admin), new_staff(world, **changes))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [item["field"] for item in error["fields"]] == [field]
    assert field in error["message"]
    assert Staff.objects.count() == before


def test_a_request_without_a_required_field_is_a_422_naming_it(world: World) -> None:
    body = new_staff(world)
    del body["password"]

    response = post_staff(signed_in(world.admin), body)

    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "password"
    assert not Staff.objects.filter(username="new_teller").exists()


def test_a_duplicate_username_is_a_400_naming_the_username(world: World) -> None:
    before = Staff.objects.count()

    response = post_staff(signed_in(world.admin), new_staff(world, username="TELLER_A"))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "domain_error"
    assert error["field"] == "username"
    assert Staff.objects.count() == before


def test_a_team_of_another_branch_is_a_400_naming_the_team(world: World) -> None:
    team_of_b = factories.team(world.branch_b)

    response = post_staff(signed_in(world.admin), new_staff(world, team_id=team_of_b.pk))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "domain_error"
    # The field of the request, as validation errors and the unknown-team error name it.
    assert error["field"] == "team_id"
    assert not Staff.objects.filter(username="new_teller").exists()


def test_an_unknown_team_is_a_400_naming_the_team(world: World) -> None:
    response = post_staff(signed_in(world.admin), new_staff(world, team_id=987654))

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "team_id"
    assert not Staff.objects.filter(username="new_teller").exists()


def test_an_unknown_language_code_is_a_400_naming_the_languages(world: World) -> None:
    response = post_staff(signed_in(world.admin), new_staff(world, languages=["klingon"]))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "domain_error"
    assert error["field"] == "languages"
    assert "klingon" in error["message"]
    assert not Staff.objects.filter(username="new_teller").exists()


def test_a_weak_password_is_a_400_naming_the_password(world: World) -> None:
    response = post_staff(signed_in(world.admin), new_staff(world, password="short"))

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "password"
    assert not Staff.objects.filter(username="new_teller").exists()


def test_replaying_a_create_with_the_same_idempotency_key_returns_the_same_account(
    world: World,
) -> None:
    client = signed_in(world.admin)

    first = post_staff(client, new_staff(world), key="staff-key-1")
    replay = post_staff(client, new_staff(world), key="staff-key-1")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert Staff.objects.filter(username="new_teller").count() == 1
    created = AuditEvent.objects.filter(action="org.staff.create", actor_id=world.admin.pk)
    assert created.count() == 1
    record = IdempotencyRecord.objects.get(key="staff-key-1")
    assert NEW_PASSWORD not in record.request_fingerprint


def test_reusing_an_idempotency_key_for_another_account_is_a_conflict(world: World) -> None:
    client = signed_in(world.admin)
    post_staff(client, new_staff(world), key="staff-key-2")

    response = post_staff(client, new_staff(world, username="other_teller"), key="staff-key-2")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Staff.objects.filter(username="other_teller").exists()


def test_a_failed_create_does_not_consume_the_idempotency_key(world: World) -> None:
    client = signed_in(world.admin)

    failed = post_staff(client, new_staff(world, username="teller_a"), key="staff-key-3")
    retried = post_staff(client, new_staff(world), key="staff-key-3")

    assert failed.status_code == 400
    assert retried.status_code == 201
    assert Staff.objects.filter(username="new_teller").count() == 1


# --- List -------------------------------------------------------------------------------


def walk(client: Client, limit: int, **query: Any) -> tuple[list[int], int]:
    ids: list[int] = []
    pages = 0
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **query}
        if after is not None:
            params["after"] = after
        response = client.get(STAFF_URL, params)
        assert response.status_code == 200
        page = response.json()
        ids += [row["id"] for row in page["items"]]
        pages += 1
        after = page["next_cursor"]
        if after is None:
            return ids, pages
        assert pages < 100, "pagination does not end"


def test_keyset_pages_walk_all_visible_staff_without_duplicates(world: World) -> None:
    for _ in range(6):
        factories.staff(Role.FRONT_TELLER, world.branch_b)
    disabled = factories.staff(Role.FRONT_TELLER, world.branch_a)
    services.staff_disable(staff=disabled, reason="Left", by=None)
    expected = set(Staff.objects.filter(is_active=True).values_list("id", flat=True))

    ids, pages = walk(signed_in(world.admin), limit=3)

    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert ids == sorted(ids)
    assert pages == -(-len(expected) // 3)
    assert disabled.pk not in ids


def test_keyset_pages_stay_within_the_viewers_branches(world: World) -> None:
    extra = [factories.staff(Role.FRONT_TELLER, world.branch_a) for _ in range(3)]
    factories.staff(Role.FRONT_TELLER, world.branch_b)

    ids, _ = walk(signed_in(world.manager_a), limit=2)

    expected = {world.teller_a.pk, world.manager_a.pk, *(s.pk for s in extra)}
    assert set(ids) == expected
    assert len(ids) == len(expected)


def test_the_last_page_has_no_next_cursor(world: World) -> None:
    response = signed_in(world.admin).get(STAFF_URL, {"limit": 200})

    assert response.json()["next_cursor"] is None
    assert len(response.json()["items"]) == Staff.objects.filter(is_active=True).count()


def _list_queries(client: Client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(STAFF_URL, {"limit": 200})
    assert response.status_code == 200
    return len(queries), len(response.json()["items"])


def _add_staff(world: World, count: int) -> None:
    language = Language.objects.get_or_create(code="yue", defaults={"name": "粤语"})[0]
    skill = Skill.objects.get_or_create(code="claims", defaults={"name": "理赔"})[0]
    team = factories.team(world.branch_a)
    for _ in range(count):
        factories.staff(
            Role.FRONT_TELLER, world.branch_a, team=team, languages=[language], skills=[skill]
        )


def test_the_staff_list_runs_the_same_number_of_queries_for_5_or_30_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(world.admin)
    _add_staff(world, 5)
    few_queries, few_rows = _list_queries(client)

    _add_staff(world, 25)
    many_queries, many_rows = _list_queries(client)
    with django_assert_max_num_queries(STAFF_LIST_MAX_QUERIES):
        client.get(STAFF_URL, {"limit": 200})

    assert many_rows == few_rows + 25
    assert many_queries == few_queries
