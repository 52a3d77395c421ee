"""The permission matrix is data: loaded from the defaults, editable, audited, documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from policydesk.core.access import can, visible_branch_ids
from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.core.models import AuditEvent
from policydesk.org import services
from policydesk.org.models import Role, RoleGrant, RoleScope
from policydesk.org.permission_docs import render_permissions_doc
from policydesk.org.permission_matrix import load_defaults
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def test_every_role_has_a_scope_and_its_default_grants_after_migration() -> None:
    defaults = load_defaults()
    for role in Role.values:
        scope = RoleScope.objects.get(role=role)
        assert scope.scope == defaults.roles[role].scope
        granted = set(
            RoleGrant.objects.filter(role=role, granted=True).values_list("action", flat=True)
        )
        assert granted == set(defaults.roles[role].actions)


def test_sync_adds_nothing_twice_and_keeps_an_administrators_withdrawal(world: World) -> None:
    services.role_grant_set(
        role=Role.COUNTER_MANAGER, action="org.staff.view", granted=False, by=world.admin
    )
    RoleGrant.objects.filter(role=Role.FRONT_TELLER, action="org.branch.view").delete()
    # The deleted row comes back; the withdrawn one stays withdrawn.
    assert services.permissions_sync(by=None) == 1
    assert services.permissions_sync(by=None) == 0
    assert RoleGrant.objects.filter(role=Role.FRONT_TELLER, action="org.branch.view").exists()
    manager = type(world.manager_a).objects.get(pk=world.manager_a.pk)
    assert not can(manager, "org.staff.view")


def test_an_administrator_grants_an_action_and_the_role_gains_it_at_once(world: World) -> None:
    assert not can(world.teller_a, "org.staff.view")
    services.role_grant_set(
        role=Role.FRONT_TELLER, action="org.staff.view", granted=True, by=world.admin
    )
    teller = type(world.teller_a).objects.get(pk=world.teller_a.pk)  # a new request's user
    assert can(teller, "org.staff.view")
    event = AuditEvent.objects.filter(action="org.permissions.change").latest("id")
    assert event.object_id == "front_teller:org.staff.view"
    assert event.before == {"granted": False}
    assert event.after == {"granted": True}


def test_a_head_of_service_may_read_the_matrix_but_not_change_it(world: World) -> None:
    with pytest.raises(PermissionRefused):
        services.role_grant_set(
            role=Role.FRONT_TELLER, action="audit.view", granted=True, by=world.head
        )
    assert not RoleGrant.objects.filter(role=Role.FRONT_TELLER, action="audit.view").exists()
    assert signed_in(world.head).get("/org/permissions/").status_code == 200


def test_an_unknown_action_is_refused_naming_the_field(world: World) -> None:
    with pytest.raises(DomainError) as caught:
        services.role_grant_set(
            role=Role.FRONT_TELLER, action="everything", granted=True, by=world.admin
        )
    assert caught.value.field == "action"


def test_the_toggle_on_the_permissions_page_changes_the_live_matrix(world: World) -> None:
    response = signed_in(world.admin).post(
        "/org/permissions/toggle/",
        {"role": "back_office", "action": "org.staff.view", "granted": "1"},
    )
    assert response.status_code == 302
    assert RoleGrant.objects.filter(role="back_office", action="org.staff.view").exists()


def test_scopes_follow_the_branch_tree(world: World) -> None:
    from tests import factories

    below_a = factories.branch("below-a", parent=world.branch_a)
    assert visible_branch_ids(world.teller_a) == frozenset({world.branch_a.pk})
    assert visible_branch_ids(world.manager_a) == frozenset({world.branch_a.pk, below_a.pk})
    assert visible_branch_ids(world.head) is None


def test_docs_permissions_md_is_generated_from_the_defaults() -> None:
    path = Path(settings.PROJECT_DIR) / "docs" / "permissions.md"
    assert path.read_text(encoding="utf-8") == render_permissions_doc()
