"""The API's contract: OpenAPI document, self-hosted docs, JSON errors, request ids, health."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from policydesk.core.models import AuditEvent
from policydesk.org.models import Staff
from tests.conftest import World, signed_in

REQUEST_ID = "req-0123456789abcdef"


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


# --- OpenAPI and docs ---------------------------------------------------------------------


def test_the_openapi_document_is_openapi_3_1_and_lists_the_operations(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "PolicyDesk API"
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/staff"])
    assert {"get", "post"} <= set(paths["/api/v1/tokens"])
    assert "post" in paths["/api/v1/tokens/{token_id}/revoke"]
    assert "get" in paths["/api/v1/me"]
    assert "get" in paths["/api/v1/health"]
    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_openapi_document_declares_bearer_and_session_authentication(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in schemes.values())
    assert any(scheme.get("in") == "cookie" for scheme in schemes.values())
    assert "security" not in document["paths"]["/api/v1/health"]["get"]


def test_the_docs_page_loads_nothing_from_other_hosts(db: None) -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert not re.search(r"(?:https?:)?//(?!testserver[/:\"'])[\w.-]+", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), asset


def test_the_docs_scripts_and_styles_are_served_by_the_application(db: None) -> None:
    html = Client().get("/api/v1/docs").content.decode()

    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', html)
    assert len(assets) >= 2
    for asset in assets:
        response = Client().get(asset)
        assert response.status_code == 200, asset


# --- Error bodies -------------------------------------------------------------------------


def test_an_anonymous_call_is_a_401_unauthenticated(db: None) -> None:
    response = Client().get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["Content-Type"].startswith("application/json")


def test_a_bad_bearer_token_is_a_401_unauthenticated(db: None) -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer pdk_nope.nope").get("/api/v1/staff")

    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"


def test_a_missing_object_is_a_404_not_found(world: World) -> None:
    missing = Staff.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]

    response = signed_in(world.admin).get(f"/api/v1/staff/{missing}")

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_an_object_of_another_branch_is_a_404_and_the_refusal_is_audited(world: World) -> None:
    response = signed_in(world.manager_a).get(f"/api/v1/staff/{world.teller_b.pk}")

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert str(world.teller_b.pk) not in response.content.decode()
    event = AuditEvent.objects.get(action="access.refused")
    assert event.actor_id == world.manager_a.pk
    assert event.object_id == f"/api/v1/staff/{world.teller_b.pk}"
    assert event.after == {"reason": "out_of_scope_or_missing"}


def test_an_object_in_the_viewers_branch_is_found_and_nothing_is_refused(world: World) -> None:
    response = signed_in(world.manager_a).get(f"/api/v1/staff/{world.teller_a.pk}")

    assert response.status_code == 200
    assert response.json()["username"] == "teller_a"
    assert not AuditEvent.objects.filter(action="access.refused").exists()


def test_a_refused_action_is_a_403_forbidden_and_audited(world: World) -> None:
    response = signed_in(world.teller_a).get("/api/v1/staff")

    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    event = AuditEvent.objects.get(action="access.refused")
    assert event.actor_id == world.teller_a.pk
    assert event.after == {"reason": "action:org.staff.view"}


# --- Request ids --------------------------------------------------------------------------


def test_the_request_id_is_echoed_and_recorded_on_audit_events(world: World) -> None:
    response = signed_in(world.admin).post(
        "/api/v1/staff",
        {
            "username": "new_teller",
            "password": "Another-Strong-Pass-77",
            "role": "front_teller",
            "branch_id": world.branch_a.pk,
        },
        content_type="application/json",
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )

    assert response.status_code == 201
    assert response["X-Request-ID"] == REQUEST_ID
    event = AuditEvent.objects.get(action="org.staff.create", object_id=str(response.json()["id"]))
    assert event.request_id == REQUEST_ID
    assert event.client_address == "127.0.0.1"


def test_the_request_id_is_recorded_on_refusals_too(world: World) -> None:
    response = signed_in(world.manager_a).get(
        f"/api/v1/staff/{world.teller_b.pk}", HTTP_X_REQUEST_ID=REQUEST_ID
    )

    assert response["X-Request-ID"] == REQUEST_ID
    assert AuditEvent.objects.get(action="access.refused").request_id == REQUEST_ID


def test_a_malformed_request_id_is_replaced_by_a_fresh_one(db: None) -> None:
    supplied = "bad id with spaces"

    response = Client().get("/api/v1/health", HTTP_X_REQUEST_ID=supplied)

    assert response["X-Request-ID"] != supplied
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_request_without_an_id_gets_a_fresh_one_each_time(db: None) -> None:
    client = Client()

    first = client.get("/api/v1/health")["X-Request-ID"]
    second = client.get("/api/v1/health")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


# --- Health -------------------------------------------------------------------------------


def test_health_answers_without_authentication(db: None) -> None:
    response = Client().get("/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
