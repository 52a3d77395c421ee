"""Households and relations come in and go out through import and export (issue 3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from policydesk.core.models import AuditEvent
from policydesk.core.request_context import RequestContext, bound_context
from policydesk.customers import services as customer_services
from policydesk.customers.models import ContactDefect, Customer, Household, Relation
from policydesk.customers.selectors import customer_360
from policydesk.demo.load_population import load_population
from policydesk.demo.organisation import load_organisation
from policydesk.imports.exports import export_file
from policydesk.imports.specs import KINDS
from policydesk.imports.validate import HANDLERS, ImportContext, Report, parse_row
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, import_examples, run_import

HOUSEHOLD = "H0000001"


def customers_in_household() -> bytes:
    """The customers example with 张伟 (C0000001) and 李娜 (C0000002) in household H0000001."""
    rows = example_rows("customers")
    column = rows[0].index("household_number")
    rows[1][column] = rows[2][column] = HOUSEHOLD
    return csv_bytes(rows)


def import_family(by: Any) -> None:
    """Households, customers in a household, and the relations example."""
    import_examples(by, "households")
    job = run_import(by, "customers", customers_in_household())
    assert job.status == "done", job.report["errors"]
    import_examples(by, "relations")


def exported(user: Any, kind: str, file_format: str = "csv") -> bytes:
    result = export_file(kind=kind, file_format=file_format, by=user)
    with result.handle:
        return result.handle.read()


def errors_of(job: Any) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in job.report["errors"]]


def relations() -> set[tuple[str, str, str]]:
    return set(Relation.objects.values_list("customer__number", "related__number", "kind"))


def test_households_members_and_relations_are_imported(world: World) -> None:
    import_family(world.admin)

    household = Household.objects.get(number=HOUSEHOLD)
    assert (household.name, household.branch) == ("张伟户", world.branch_a)
    members = set(household.members.values_list("number", flat=True))
    assert members == {"C0000001", "C0000002"}
    assert Customer.objects.get(number="C0000003").household is None
    assert relations() == {
        ("C0000001", "C0000002", "child"),
        ("C0000002", "C0000001", "parent"),
        ("C0000002", "C0000003", "employer"),
    }
    applied = AuditEvent.objects.filter(action="imports.apply").order_by("id")
    assert [event.after["kind"] for event in applied] == ["households", "customers", "relations"]


def test_re_importing_households_customers_and_relations_changes_nothing(world: World) -> None:
    import_family(world.admin)

    again = [
        run_import(world.admin, "households", example("households")),
        run_import(world.admin, "customers", customers_in_household()),
        run_import(world.admin, "relations", example("relations")),
    ]

    for job in again:
        assert job.status == "done", job.report["errors"]
        assert (job.report["inserted"], job.report["updated"]) == (0, 0), job.kind
    assert [job.report["unchanged"] for job in again] == [2, 3, 3]


def test_a_renamed_household_is_updated_and_a_blank_household_number_keeps_the_member(
    world: World,
) -> None:
    import_family(world.admin)
    rows = example_rows("households")
    rows[1][rows[0].index("name")] = "张伟家"

    renamed = run_import(world.admin, "households", csv_bytes(rows))
    # The plain customers example: no household_number at all.
    customers = run_import(world.admin, "customers", example("customers"))

    assert (renamed.report["inserted"], renamed.report["updated"]) == (0, 1)
    assert Household.objects.get(number=HOUSEHOLD).name == "张伟家"
    assert (customers.report["inserted"], customers.report["updated"]) == (0, 0)
    assert Customer.objects.get(number="C0000001").household is not None


def test_one_bad_relation_row_applies_nothing_and_names_its_row_and_column(
    world: World,
) -> None:
    import_examples(world.admin, "customers")
    rows = example_rows("relations")
    rows[2][rows[0].index("kind")] = "cousin"

    job = run_import(world.admin, "relations", csv_bytes(rows))

    assert job.status == "failed"
    assert errors_of(job) == [(3, "kind")]
    assert job.report["errors"][0]["file"] == "relations.csv"
    assert not Relation.objects.exists()
    assert not AuditEvent.objects.filter(action="imports.apply", after__kind="relations").exists()


def test_one_bad_household_row_applies_nothing(world: World) -> None:
    rows = example_rows("households")
    rows[2][rows[0].index("branch")] = "nowhere"

    job = run_import(world.admin, "households", csv_bytes(rows))

    assert job.status == "failed"
    assert errors_of(job) == [(3, "branch")]
    assert not Household.objects.exists()


def test_an_unknown_customer_refuses_the_file_naming_the_column(world: World) -> None:
    import_examples(world.admin, "customers")
    rows = example_rows("relations")
    rows[1][rows[0].index("related_customer_number")] = "C9999999"

    job = run_import(world.admin, "relations", csv_bytes(rows))

    assert job.status == "failed"
    assert errors_of(job) == [(2, "related_customer_number")]
    assert "C9999999" in job.report["errors"][0]["reason"]
    assert not Relation.objects.exists()


def test_an_unknown_household_refuses_the_customers_file(world: World) -> None:
    job = run_import(world.admin, "customers", customers_in_household())

    assert job.status == "failed"
    assert errors_of(job) == [(2, "household_number"), (3, "household_number")]
    assert not Customer.objects.exists()


def test_a_customer_related_to_themself_is_refused(world: World) -> None:
    import_examples(world.admin, "customers")
    rows = [example_rows("relations")[0], ["C0000001", "C0000001", "spouse"]]

    job = run_import(world.admin, "relations", csv_bytes(rows))

    assert errors_of(job) == [(2, "related_customer_number")]
    assert not Relation.objects.exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("C0000001", "C0000002", "child"), ("C0000002", "C0000001", "child")),
        (("C0000001", "C0000002", "parent"), ("C0000001", "C0000002", "child")),
        (("C0000001", "C0000002", "guardian"), ("C0000002", "C0000001", "guardian")),
        (("C0000001", "C0000002", "spouse"), ("C0000002", "C0000001", "parent")),
    ],
)
def test_relations_that_contradict_each_other_are_refused(
    world: World, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    import_examples(world.admin, "customers")
    header = example_rows("relations")[0]

    in_one_file = run_import(world.admin, "relations", csv_bytes([header, first, second]))
    recorded = run_import(world.admin, "relations", csv_bytes([header, first]))
    against_recorded = run_import(world.admin, "relations", csv_bytes([header, second]))

    assert errors_of(in_one_file) == [(3, "kind")]
    assert recorded.status == "done"
    assert errors_of(against_recorded) == [(2, "kind")]
    assert relations() == {first}


def test_a_child_and_its_parent_stated_both_ways_agree(world: World) -> None:
    import_examples(world.admin, "customers")
    header = example_rows("relations")[0]
    rows = [header, ["C0000001", "C0000002", "child"], ["C0000002", "C0000001", "parent"]]

    job = run_import(world.admin, "relations", csv_bytes(rows))

    assert job.status == "done", job.report["errors"]


def test_a_guardian_under_18_is_refused_but_an_adult_ward_is_accepted(world: World) -> None:
    import_examples(world.admin, "customers")
    born = _years_ago(12)
    minor = factories.customer(
        world.branch_a, number="C0000009", birth_date=born, id_number=factories.resident_id(born)
    )
    header = example_rows("relations")[0]

    minor_guardian = run_import(
        world.admin, "relations", csv_bytes([header, ["C0000002", minor.number, "guardian"]])
    )
    # 张伟, born 1949, may have his daughter as guardian (adult guardianship, 成年监护).
    adult_ward = run_import(
        world.admin, "relations", csv_bytes([header, ["C0000001", "C0000002", "guardian"]])
    )
    minor_ward = run_import(
        world.admin, "relations", csv_bytes([header, [minor.number, "C0000002", "guardian"]])
    )

    assert errors_of(minor_guardian) == [(2, "related_customer_number")]
    assert adult_ward.status == "done", adult_ward.report["errors"]
    assert minor_ward.status == "done", minor_ward.report["errors"]
    assert relations() == {
        ("C0000001", "C0000002", "guardian"),
        (minor.number, "C0000002", "guardian"),
    }


def _years_ago(years: int) -> Any:
    from django.utils import timezone

    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


@pytest.mark.parametrize("kind", ["households", "relations"])
def test_a_chunk_is_resolved_with_two_queries_however_many_rows_it_holds(
    world: World, kind: str, django_assert_num_queries: Any
) -> None:
    import_examples(world.admin, "customers")
    spec = KINDS[kind]
    for count in (1, len(spec.example)):
        report = Report(f"{kind}.csv")
        parsed = [
            parse_row(spec, number, dict(zip(spec.names, values, strict=True)), report)
            for number, values in enumerate(spec.example[:count], start=2)
        ]
        rows = [row for row in parsed if row is not None]
        # Households: the branch codes and the stored numbers; relations: the customers
        # and the relations already recorded between them.
        with django_assert_num_queries(2):
            records = HANDLERS[kind].resolve(rows, ImportContext(user=None, report=report))
        assert len(records) == count, report.errors


# --- Scoping: a branch-scoped importer writes only to the branches they see -------------


@pytest.fixture
def back_office_a(world: World) -> Any:
    return factories.staff(Role.BACK_OFFICE, world.branch_a, username="back_office_a")


def _customers_with_c2_in_branch_b(world: World) -> None:
    rows = example_rows("customers")
    rows[2][rows[0].index("branch")] = "branch-b"
    job = run_import(world.admin, "customers", csv_bytes(rows))
    assert job.status == "done", job.report["errors"]


def test_a_branch_scoped_importer_may_not_relate_a_customer_of_another_branch(
    world: World, back_office_a: Any
) -> None:
    _customers_with_c2_in_branch_b(world)

    job = run_import(back_office_a, "relations", example("relations"))

    assert job.status == "failed"
    # Rows 2 and 3 name C0000002 on one side or the other; row 4 starts from it.
    assert errors_of(job) == [
        (2, "related_customer_number"),
        (3, "customer_number"),
        (4, "customer_number"),
    ]
    assert "C0000002" in job.report["errors"][0]["reason"]
    assert not Relation.objects.exists()


def test_a_branch_scoped_importer_may_not_write_households_of_another_branch(
    world: World, back_office_a: Any
) -> None:
    Household.objects.create(number="H0000002", branch=world.branch_b, name="别人家")
    rows = [example_rows("households")[0], ["H0000003", "branch-b", "王芳户"]]

    into_branch_b = run_import(back_office_a, "households", csv_bytes(rows))
    taking_over = run_import(back_office_a, "households", example("households"))

    assert errors_of(into_branch_b) == [(2, "branch")]
    assert errors_of(taking_over) == [(3, "number")]
    assert set(Household.objects.values_list("number", "branch__code", "name")) == {
        ("H0000002", "branch-b", "别人家")
    }


def test_a_branch_scoped_importer_may_not_join_a_household_of_another_branch(
    world: World, back_office_a: Any
) -> None:
    Household.objects.create(number=HOUSEHOLD, branch=world.branch_b, name="别人家")

    job = run_import(back_office_a, "customers", customers_in_household())

    assert errors_of(job) == [(2, "household_number"), (3, "household_number")]
    assert not Customer.objects.exists()


# --- Exports ------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exported_households_customers_and_relations_re_import_unchanged(
    world: World, file_format: str
) -> None:
    import_family(world.admin)
    # A counter manager may see identities: the customers export is not masked.
    files = {
        kind: exported(world.manager_a, kind, file_format)
        for kind in ("households", "customers", "relations")
    }
    Relation.objects.all().delete()
    Customer.objects.update(household=None)
    Household.objects.all().delete()

    back = {
        kind: run_import(world.admin, kind, content, f"{kind}.{file_format}")
        for kind, content in files.items()
    }
    again = {
        kind: run_import(world.admin, kind, content, f"{kind}.{file_format}")
        for kind, content in files.items()
    }

    assert {kind: job.status for kind, job in back.items()} == dict.fromkeys(files, "done"), {
        kind: job.report["errors"] for kind, job in back.items()
    }
    assert back["households"].report["inserted"] == 2
    assert back["relations"].report["inserted"] == 3
    assert set(
        Household.objects.get(number=HOUSEHOLD).members.values_list("number", flat=True)
    ) == {
        "C0000001",
        "C0000002",
    }
    for job in again.values():
        assert (job.report["inserted"], job.report["updated"]) == (0, 0), job.report


def test_a_relation_is_exported_only_to_a_user_who_sees_both_customers(world: World) -> None:
    _customers_with_c2_in_branch_b(world)
    run_import(world.admin, "relations", example("relations"))
    # A relationship manager of branch A exports, masked (no identities).
    manager = factories.staff(Role.RELATIONSHIP_MANAGER, world.branch_a, username="rm_a")

    content = exported(manager, "relations").decode("utf-8-sig")
    event = AuditEvent.objects.filter(action="imports.export").order_by("-id").first()

    assert "C0000002" not in content
    assert content.splitlines() == ["customer_number,related_customer_number,kind"]
    assert event is not None
    assert event.after == {"kind": "relations", "format": "csv", "rows": 0, "masked": True}


def test_a_household_of_a_hidden_branch_is_exported_blank_and_kept_on_re_import(
    world: World, back_office_a: Any
) -> None:
    import_examples(world.admin, "customers")
    # Linking relatives in PolicyDesk may put a customer in another branch's household.
    hidden = Household.objects.create(number="H0000009", branch=world.branch_b, name="跨支家")
    Customer.objects.filter(number="C0000001").update(household=hidden)

    content = exported(world.manager_a, "customers")
    job = run_import(back_office_a, "customers", content)

    assert "H0000009" not in content.decode("utf-8-sig")
    assert job.status == "done", job.report["errors"]
    assert (job.report["inserted"], job.report["updated"]) == (0, 0)
    assert Customer.objects.get(number="C0000001").household == hidden


# --- The demo population ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_populations_households_and_relations_re_import_unchanged() -> None:
    with bound_context(RequestContext(request_id="test", client_address="")):
        load_organisation()
        load_population(seed=4, customers=150)
    assert Relation.objects.filter(kind="guardian").exists()

    for kind in ("households", "customers", "relations"):
        job = run_import(None, kind, exported(None, kind))
        assert job.status == "done", (kind, job.report["errors"][:3])
        assert (job.report["inserted"], job.report["updated"]) == (0, 0), kind
        assert job.report["unchanged"] == job.report["rows"] > 0


# --- The customer 360 ---------------------------------------------------------------------


def test_the_customer_360_shows_the_household_and_a_relation_from_both_sides(
    world: World,
) -> None:
    import_family(world.admin)
    father = Customer.objects.get(number="C0000001")
    daughter = Customer.objects.get(number="C0000002")
    employer = Customer.objects.get(number="C0000003")

    with translation.override("en"):
        of_father = customer_360(world.manager_a, father)
        of_employer = customer_360(world.manager_a, employer)

    assert of_father.household_members == [daughter]
    # Recorded from both sides (father: child; daughter: parent), shown once.
    assert [(r.label, r.customer) for r in of_father.related_parties] == [("Child", daughter)]
    # Recorded only on the employee's side, shown on the employer's too.
    assert [(r.label, r.customer) for r in of_employer.related_parties] == [("Employee", daughter)]


def test_joining_a_household_by_import_clears_the_shared_number_between_its_members(
    world: World,
) -> None:
    import_examples(world.admin, "households", "customers")
    first, second = (Customer.objects.get(number=n) for n in ("C0000001", "C0000002"))
    for member in (first, second):
        customer_services.contact_add(
            customer=member, kind="phone", raw="13905941234", is_primary=True, by=None
        )
    shared = ContactDefect.objects.filter(
        customer__in=(first, second), code="shared_number", resolved_at__isnull=True
    )
    assert shared.count() == 2  # unrelated customers with one number: the agent's phone?

    job = run_import(world.admin, "customers", customers_in_household())

    assert job.status == "done", job.report["errors"]
    assert not shared.exists()  # a family's number now, fixed in the same import
