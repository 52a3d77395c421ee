"""The generic leak test: every page and every API operation, walked by staff of branch B,
must reveal nothing of branch A and change nothing there.

New URL parameters need an entry in OBJECT_PARAMETERS (an object of branch A to aim at);
the test fails on a parameter it does not know, so a new page cannot skip the walk.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from policydesk.cases import services as case_services
from policydesk.cases.attachments import case_attach
from policydesk.cases.clocks import calendar_for
from policydesk.cases.models import Case, CaseEvent, Process
from policydesk.cases.process_services import processes_sync
from policydesk.complaints.services import complaint_log, escalation_record
from policydesk.core.audit import audit_record
from policydesk.imports.models import ImportJob
from policydesk.org import services
from policydesk.org.models import ApiToken, Role, Scope, Staff
from policydesk.org.permission_matrix import load_defaults
from tests import factories
from tests.cases.rules_targets import rules_targets
from tests.conftest import World, signed_in

SECRET = "LEAKMARK-A"  # appears only in branch A's data
VISIBLE = "VISIBLEMARK-B"  # appears in branch B's data: proves the walk reaches real rows
SKIPPED_PREFIXES = ("admin/", "api/v1/", "static/")


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield (
                route,
                list(entry.pattern.converters) if hasattr(entry.pattern, "converters") else [],
            )


def page_routes() -> list[str]:
    routes = [route for route, _ in _walk(get_resolver().url_patterns)]
    routes = [r for r in routes if not r.startswith(SKIPPED_PREFIXES)]
    # Signing out ends the walker's session: walk it last.
    return sorted(routes, key=lambda route: "logout" in route)


def fill(route: str, targets: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in targets:
            raise AssertionError(f"Route {route!r} takes {name!r}: add it to OBJECT_PARAMETERS.")
        return targets[name]

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", replace, route)


@pytest.fixture
def branch_a_secrets(world: World) -> dict[str, str]:
    """Objects of branch A carrying the secret marker, and a visible one in branch B."""
    team_a = factories.team(world.branch_a, code="secret-team")
    team_a.name = f"{SECRET} team"
    team_a.save()
    staff_a = factories.staff(
        Role.BACK_OFFICE, world.branch_a, username="secret-a", display_name=f"{SECRET} staff"
    )
    token_a, _ = services.token_issue(
        owner=world.admin,
        name=f"{SECRET} token",
        role=Role.FRONT_TELLER,
        branch=world.branch_a,
        by=None,
    )
    audit_record(action="test.secret", object_label=SECRET, branch_id=world.branch_a.pk)
    factories.staff(Role.BACK_OFFICE, world.branch_b, display_name=f"{VISIBLE} staff")
    customer_a = factories.customer(
        world.branch_a, name=f"{SECRET} customer", phones=["13912345678"]
    )
    policy_a = factories.policy(customer_a, number="LEAKPOL-A")
    factories.customer(world.branch_b, name=f"{VISIBLE} customer")
    job_a = ImportJob.objects.create(
        kind="customers",
        file_name=f"{SECRET}.csv",
        stored_path="/nonexistent",
        file_format="csv",
        uploaded_by=staff_a,
    )
    processes_sync()
    complaint = Process.objects.get(code="complaint")
    case_a = case_services.case_open(
        process=complaint,
        channel="counter",
        branch=world.branch_a,
        subject=f"{SECRET} complaint",
        customer=customer_a,
        by=None,
    )
    case_services.case_comment(case=case_a, body=f"{SECRET} note", by=None)
    complaint_a = complaint_log(
        channel="regulator",
        branch=world.branch_a,
        customer=customer_a,
        policy=policy_a,
        subject=f"{SECRET} complaint record",
        description=f"{SECRET} complaint description",
        regulator_reference=f"{SECRET}-REF",
        regulator_received_on=dt.date(2026, 1, 5),
        by=None,
    )
    escalation_a = escalation_record(
        complaint=complaint_a,
        body="cn_regulator",
        # The branch's own date (Asia/Shanghai), not the server's: from 16:00 UTC they differ.
        filed_on=calendar_for(world.branch_a).local_date(timezone.now()),
        reference=f"{SECRET}-ESC",
        by=world.head,
    )
    attachment_a = case_attach(
        case=case_a, file_name=f"{SECRET}.txt", content=f"{SECRET} file".encode(), by=world.head
    )
    case_services.case_open(
        process=complaint,
        channel="counter",
        branch=world.branch_b,
        subject=f"{VISIBLE} case",
        by=None,
    )
    return {
        "case_id": str(case_a.pk),
        "complaint_id": str(complaint_a.pk),
        "escalation_id": str(escalation_a.pk),
        "attachment_id": str(attachment_a.pk),
        "process_id": str(complaint.pk),
        "number": "1",
        "job_id": str(job_a.pk),
        "kind": "customers",
        "customer_id": str(customer_a.pk),
        "policy_id": str(policy_a.pk),
        "staff_id": str(staff_a.pk),
        "token_id": str(token_a.pk),
        "branch_id": str(world.branch_a.pk),
        "team_id": str(team_a.pk),
        "name": "audit-verify",
        **rules_targets(world, staff_a, case_a, SECRET),
        **_process_app_targets(world, staff_a, customer_a, policy_a),
    }


PROCESS_APPS = ("newbusiness", "servicing", "claims", "counter", "callbacks", "monitoring")


def _process_app_targets(
    world: World, staff_a: Staff, customer_a: Any, policy_a: Any
) -> dict[str, str]:
    """Each process app's own branch-A objects: tests/<app>/leak_targets.py, when it exists,
    has `leak_targets(world, staff_a, customer_a, policy_a, secret) -> {parameter: id}`."""
    targets: dict[str, str] = {}
    for app in PROCESS_APPS:
        try:
            module = importlib.import_module(f"tests.{app}.leak_targets")
        except ModuleNotFoundError as missing:
            if missing.name not in (f"tests.{app}", f"tests.{app}.leak_targets"):
                raise
            continue
        targets.update(module.leak_targets(world, staff_a, customer_a, policy_a, SECRET))
    return targets


def assert_case_untouched(targets: dict[str, str]) -> None:
    case = Case.objects.get(pk=targets["case_id"])
    assert case.state.code == "logged" and case.assignee_id is None
    events = CaseEvent.objects.filter(case=case).values_list("type", flat=True)
    assert "transitioned" not in events and "assigned" not in events
    assert list(events).count("commented") == 1


def branch_b_viewers(world: World) -> list[Staff]:
    """One user of branch B for every role that does not see the whole company."""
    defaults = load_defaults()
    return [
        factories.staff(role, world.branch_b, username=f"viewer-{role}")
        for role, entry in defaults.roles.items()
        if entry.scope != Scope.COMPANY
    ]


def assert_no_leak(response: Any, where: str) -> None:
    body = response.content.decode("utf-8", errors="replace")
    assert SECRET not in body, f"{where} shows branch A's data"
    assert response.status_code in {200, 201, 202, 302, 400, 401, 403, 404, 405, 409, 422}, (
        f"{where} answered {response.status_code}"
    )


def test_no_page_shows_branch_a_to_staff_of_branch_b(
    world: World, branch_a_secrets: dict[str, str]
) -> None:
    routes = page_routes()
    assert len(routes) >= 10  # the walk found the site, not an empty resolver
    saw_visible_marker = False
    for viewer in branch_b_viewers(world):
        client = signed_in(viewer)
        for route in routes:
            path = "/" + fill(route, branch_a_secrets)
            for method in ("get", "post"):
                response = getattr(client, method)(path, follow=False)
                assert_no_leak(response, f"{method.upper()} {path} as {viewer.role}")
                saw_visible_marker |= VISIBLE in response.content.decode(errors="replace")
    assert saw_visible_marker, "no page showed branch B's own data: the walk proves nothing"
    assert_case_untouched(branch_a_secrets)
    secret_staff = Staff.objects.get(pk=branch_a_secrets["staff_id"])
    assert secret_staff.is_active
    assert ApiToken.objects.get(pk=branch_a_secrets["token_id"]).revoked_at is None


def api_operations(client: Client) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method, path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_no_api_operation_shows_branch_a_to_staff_of_branch_b(
    world: World, branch_a_secrets: dict[str, str]
) -> None:
    saw_visible_marker = False
    operations: list[tuple[str, str]] = []
    for viewer in branch_b_viewers(world):
        client = signed_in(viewer)
        operations = api_operations(client)
        for method, path in operations:
            url = fill_api_path(path, branch_a_secrets)
            body = json.dumps({"reason": "probe", "name": "probe", "role": "front_teller"})
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, data=body, content_type="application/json")
            assert_no_leak(response, f"{method.upper()} {url} as {viewer.role}")
            saw_visible_marker |= VISIBLE in response.content.decode(errors="replace")
    assert len(operations) >= 10
    assert saw_visible_marker, "no operation returned branch B's own data"
    assert_case_untouched(branch_a_secrets)
    assert Staff.objects.get(pk=branch_a_secrets["staff_id"]).is_active
    assert ApiToken.objects.get(pk=branch_a_secrets["token_id"]).revoked_at is None


def test_a_branch_b_token_sees_nothing_of_branch_a(
    world: World, branch_a_secrets: dict[str, str]
) -> None:
    _, secret = services.token_issue(
        owner=world.admin,
        name="b-integration",
        role=Role.COUNTER_MANAGER,
        branch=world.branch_b,
        by=None,
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for method, path in api_operations(client):
        if method != "get":
            continue
        url = fill_api_path(path, branch_a_secrets)
        assert_no_leak(client.get(url), f"GET {url} with a branch-B token")


def fill_api_path(path: str, targets: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in targets:
            raise AssertionError(f"API path {path} takes {{{name}}}: add it to the fixture.")
        return targets[name]

    return re.sub(r"\{([a-z_]+)\}", replace, path)
