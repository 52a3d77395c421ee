"""Contract test of /api/v1/: schemathesis fuzzes every operation against its OpenAPI document."""

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


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


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
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_contract(case: Any, bearer: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"})
