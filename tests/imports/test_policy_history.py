"""Imported policies get their status history: the first status of a new policy, a change
from the last recorded status, nothing for an unchanged re-import."""

from __future__ import annotations

from django.utils import timezone

from policydesk.policies.models import Policy, PolicyStatusChange
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, import_examples, run_import


def _history(number: str) -> list[tuple[str, str]]:
    return list(
        PolicyStatusChange.objects.filter(policy__number=number)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def test_each_new_policy_gets_its_first_status_dated_its_issue(world: World) -> None:
    import_examples(world.admin, "customers", "products", "policies")

    for policy in Policy.objects.all():
        (change,) = PolicyStatusChange.objects.filter(policy=policy)
        assert (change.from_status, change.to_status) == ("", policy.status)
        assert change.changed_on == (policy.issue_date or policy.application_date)
        assert change.recorded_by == world.admin
        assert change.reason


def test_a_changed_status_is_recorded_and_an_unchanged_file_records_nothing(
    world: World,
) -> None:
    import_examples(world.admin, "customers", "products", "policies")
    rows = example_rows("policies")
    status = rows[0].index("status")
    number = rows[1][0]
    before = rows[1][status]
    rows[1][status] = "lapsed" if before != "lapsed" else "in_force"

    unchanged = run_import(world.admin, "policies", example("policies"))
    assert unchanged.report["unchanged"] == len(rows) - 1
    assert PolicyStatusChange.objects.count() == len(rows) - 1
    changed = run_import(world.admin, "policies", csv_bytes(rows))

    assert changed.report["updated"] == 1
    assert _history(number) == [("", before), (before, rows[1][status])]
    last = PolicyStatusChange.objects.filter(policy__number=number).latest("id")
    assert last.changed_on == timezone.localdate()
    assert PolicyStatusChange.objects.count() == len(rows)


def test_a_dry_run_records_no_history(world: World) -> None:
    import_examples(world.admin, "customers", "products")

    run_import(world.admin, "policies", example("policies"), dry_run=True)

    assert not PolicyStatusChange.objects.exists()
