"""Contract test of /api/v1/: schemathesis fuzzes every operation against its OpenAPI document.

The schema is read from the app in-process (WSGI), and the calls run in this thread, inside
the test's database transaction. Every call carries a bearer token issued by an administrator
with the head_of_service role: company-wide scope and every read action (a superset of what a
counter_manager token could reach); tokens cannot carry the administrator role, so writes that
need org.staff.manage, org.token.manage or jobs.run answer 403 and are checked as refusals.
Such a token cannot revoke itself or disable its owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from policydesk.org import services
from policydesk.org.models import Role
from tests.conftest import World

# schemathesis.pytest.from_fixture (lazy loading) fails on pytest 9.2 (it reads the removed
# Node._nodeid), so the schema is loaded at import; /openapi.json needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

# The routers declare only their success status, so every documented error of the envelope
# (401/403/404/409/422, docs/api.md) is an "undocumented status code". Until the routers declare
# their error responses, that one check is off; all the other default checks run.
EXCLUDED_CHECKS = [schemathesis.checks.status_code_conformance]

# Real defects found by this test, kept visible as strict xfails until the app is fixed.
KNOWN_FAILURES = {
    "GET /api/v1/permissions": "500: lazily translated role labels fail RoleMatrixOut.label",
    "GET /api/v1/staff": "500: branch_id beyond 64 bits raises OverflowError in the query",
}


@pytest.fixture(autouse=True)
def _keep_test_connection(db: None) -> Iterator[None]:
    # Django closes "old" connections around each request; inside the test's transaction that
    # would drop it. Django's own test client unhooks the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _known_failures(request: pytest.FixtureRequest) -> None:
    label = request.node.name.partition("[")[2].rstrip("]")
    if label in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_FAILURES[label], strict=True))


@pytest.fixture
def bearer(world: World) -> str:
    _, secret = services.token_issue(
        owner=world.admin, name="contract", role=Role.HEAD_OF_SERVICE, branch=None, by=world.admin
    )
    return secret


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_contract(case: Any, bearer: str) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {bearer}"}, excluded_checks=EXCLUDED_CHECKS
    )
    # With the status-code check off, a token that stopped working would pass silently.
    assert response.status_code != 401, response.text
