"""API tokens: issue, use as a bearer with the token's own role and branch, revoke, expire."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.test import Client
from django.utils import timezone

from policydesk.core.models import AuditEvent, IdempotencyRecord
from policydesk.org import services
from policydesk.org.models import ApiToken, Branch, Role, Staff
from tests.conftest import World, signed_in

TOKENS_URL = "/api/v1/tokens"


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def issue(owner: Staff, role: str, branch: Branch | None, **extra: Any) -> tuple[ApiToken, str]:
    return services.token_issue(
        owner=owner, name=f"{role} integration", role=role, branch=branch, by=None, **extra
    )


def post_token(client: Client, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(TOKENS_URL, body, content_type="application/json", **headers)


def test_an_administrator_issues_a_token_whose_bearer_value_is_returned_once(
    world: World,
) -> None:
    response = post_token(
        signed_in(world.admin),
        {"name": "CRM sync", "role": "front_teller", "branch_id": world.branch_b.pk},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("pdk_")
    assert body["role"] == "front_teller"
    assert body["branch_id"] == world.branch_b.pk
    assert body["owner_id"] == world.admin.pk
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "CRM sync"
    assert AuditEvent.objects.filter(
        action="org.token.issue", object_id=str(token.pk), actor_id=world.admin.pk
    ).exists()


def test_a_head_of_service_cannot_issue_a_token(world: World) -> None:
    response = post_token(
        signed_in(world.head), {"name": "CRM sync", "role": "front_teller", "branch_id": None}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not ApiToken.objects.exists()


def test_it_stores_only_the_sha256_of_the_secret(world: World) -> None:
    response = post_token(
        signed_in(world.admin),
        {"name": "CRM sync", "role": "front_teller", "branch_id": world.branch_b.pk},
    )
    plain = response.json()["secret"]
    secret_part = plain.partition(".")[2]

    token = ApiToken.objects.get(pk=response.json()["id"])

    assert token.secret_hash == hashlib.sha256(secret_part.encode("ascii")).hexdigest()
    stored_values = [str(getattr(token, field.attname)) for field in ApiToken._meta.concrete_fields]
    assert not any(secret_part in value for value in stored_values)
    for event in AuditEvent.objects.all():
        assert secret_part not in f"{event.before} {event.after} {event.object_label}"


def test_the_bearer_token_acts_with_the_tokens_role_and_branch(world: World) -> None:
    _, secret = issue(world.admin, Role.FRONT_TELLER, world.branch_b)

    response = bearer(secret).get("/api/v1/me")

    assert response.status_code == 200
    me = response.json()
    assert me["id"] == world.admin.pk
    assert me["role"] == "front_teller"
    assert me["branch_id"] == world.branch_b.pk
    assert me["via_token"] is True
    assert "org.staff.manage" not in me["actions"]


def test_a_teller_token_of_branch_b_sees_only_branch_b(world: World) -> None:
    client = bearer(issue(world.admin, Role.FRONT_TELLER, world.branch_b)[1])

    branches = client.get("/api/v1/branches")
    branch_a = client.get(f"/api/v1/branches/{world.branch_a.pk}")
    staff = client.get("/api/v1/staff")

    assert [row["id"] for row in branches.json()] == [world.branch_b.pk]
    assert branch_a.status_code == 404
    assert branch_a.json()["error"]["code"] == "not_found"
    assert staff.status_code == 403
    assert staff.json()["error"]["code"] == "forbidden"


def test_a_manager_token_of_branch_b_cannot_see_the_staff_of_branch_a(world: World) -> None:
    client = bearer(issue(world.admin, Role.COUNTER_MANAGER, world.branch_b)[1])

    listed = client.get("/api/v1/staff?limit=200")
    teller_a = client.get(f"/api/v1/staff/{world.teller_a.pk}")

    usernames = {row["username"] for row in listed.json()["items"]}
    assert usernames == {"teller_b", "manager_b"}
    assert teller_a.status_code == 404


def test_the_bearer_token_cannot_write_with_its_owners_administrator_role(world: World) -> None:
    client = bearer(issue(world.admin, Role.FRONT_TELLER, world.branch_b)[1])

    response = post_token(client, {"name": "escalate", "role": "front_teller"})

    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_it_records_when_a_token_was_last_used(world: World) -> None:
    token, secret = issue(world.admin, Role.FRONT_TELLER, world.branch_b)
    assert token.last_used_at is None

    bearer(secret).get("/api/v1/me")

    token.refresh_from_db()
    assert token.last_used_at is not None


def _assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_revoked_token_is_refused(world: World) -> None:
    token, secret = issue(world.admin, Role.FRONT_TELLER, world.branch_b)
    assert bearer(secret).get("/api/v1/me").status_code == 200

    services.token_revoke(token=token, by=world.admin)

    _assert_unauthenticated(bearer(secret).get("/api/v1/me"))


def test_an_administrator_revokes_a_token_through_the_api(world: World) -> None:
    token, secret = issue(world.admin, Role.FRONT_TELLER, world.branch_b)

    response = signed_in(world.admin).post(f"{TOKENS_URL}/{token.pk}/revoke")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    _assert_unauthenticated(bearer(secret).get("/api/v1/me"))
    assert AuditEvent.objects.filter(action="org.token.revoke", object_id=str(token.pk)).exists()


def test_an_expired_token_is_refused(world: World) -> None:
    token, secret = issue(
        world.admin,
        Role.FRONT_TELLER,
        world.branch_b,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert bearer(secret).get("/api/v1/me").status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    _assert_unauthenticated(bearer(secret).get("/api/v1/me"))


def test_a_token_of_a_disabled_owner_is_refused(world: World) -> None:
    _, secret = issue(world.manager_a, Role.FRONT_TELLER, world.branch_a)
    assert bearer(secret).get("/api/v1/me").status_code == 200

    services.staff_disable(staff=world.manager_a, reason="Left the company", by=world.admin)

    _assert_unauthenticated(bearer(secret).get("/api/v1/me"))


def test_a_token_with_a_wrong_secret_is_refused(world: World) -> None:
    _, secret = issue(world.admin, Role.FRONT_TELLER, world.branch_b)
    prefix = secret.partition(".")[0]

    _assert_unauthenticated(bearer(f"{prefix}.not-the-secret").get("/api/v1/me"))
    _assert_unauthenticated(bearer("pdk_unknown.secret").get("/api/v1/me"))


def test_a_token_cannot_carry_the_administrator_role(world: World) -> None:
    response = post_token(
        signed_in(world.admin), {"name": "root", "role": "administrator", "branch_id": None}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "domain_error"
    assert error["field"] == "role"
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="org.token.issue").exists()


def test_replaying_a_token_request_returns_the_same_token_without_its_secret(
    world: World,
) -> None:
    client = signed_in(world.admin)
    body = {"name": "CRM sync", "role": "front_teller", "branch_id": world.branch_b.pk}

    first = post_token(client, body, key="token-key-1")
    replay = post_token(client, body, key="token-key-1")

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    assert first.json()["secret"].startswith("pdk_")
    assert replay.json()["secret"] is None
    assert ApiToken.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="token-key-1")
    assert record.response_body["secret"] is None


def test_reusing_an_idempotency_key_for_another_token_request_is_a_conflict(
    world: World,
) -> None:
    client = signed_in(world.admin)
    body = {"name": "CRM sync", "role": "front_teller", "branch_id": world.branch_b.pk}
    assert post_token(client, body, key="token-key-2").status_code == 201

    response = post_token(client, {**body, "name": "Other"}, key="token-key-2")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["field"] == "Idempotency-Key"
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["CRM sync"]
