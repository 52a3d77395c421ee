"""Import handlers of households and relations (家庭与亲属关系).

Read them through `validate.HANDLERS` (this module builds on `validate` and is imported by
it, so `validate` must be imported first). Like every handler they resolve a chunk's references
with one query each, never one per row. Why membership travels on the customers file and
which relations are refused: docs/decisions/0004-household-imports.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.customers.models import Customer, Household, Relation, RelationKind

from .apply import UpsertPlan
from .specs import KINDS, KindSpec
from .validate import Handler, ImportContext, ParsedRow, Report, in_values

GUARDIAN_MIN_AGE = 18  # a guardian must be an adult (Civil Code art. 17: adulthood at 18)

# A directed kind states a bond between a superior and a subordinate customer:
# (superior is the customer, bond). `kind` names what `related` is to `customer`, so in
# "A child B" A is the parent, in "A parent B" B is.
DIRECTED: dict[str, tuple[bool, str]] = {
    RelationKind.CHILD: (True, "parenthood"),
    RelationKind.PARENT: (False, "parenthood"),
    RelationKind.GUARDIAN: (False, "guardianship"),
    RelationKind.EMPLOYER: (False, "employment"),
}

Statement = tuple[int, int, str]  # (superior id, subordinate id, bond) or (low, high, spouse)


def statement(customer_id: int, related_id: int, kind: str) -> Statement | None:
    """What a relation states, in a form in which its contradictions can be looked up."""
    if kind == RelationKind.SPOUSE:
        low, high = sorted((customer_id, related_id))
        return low, high, "spouse"
    if kind not in DIRECTED:
        return None  # "other" states nothing to contradict
    customer_is_superior, bond = DIRECTED[kind]
    if customer_is_superior:
        return customer_id, related_id, bond
    return related_id, customer_id, bond


def contradictions(stated: Statement) -> list[Statement]:
    """The statements that cannot hold together with `stated`."""
    first, second, bond = stated
    low, high = sorted((first, second))
    if bond == "spouse":  # spouses are not each other's parent or child
        return [(low, high, "parenthood"), (high, low, "parenthood")]
    opposite = [(second, first, bond)]  # nobody is their own parent's parent
    if bond == "parenthood":
        opposite.append((low, high, "spouse"))
    return opposite


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class HouseholdHandler(Handler):
    spec: KindSpec = KINDS["households"]
    plan: UpsertPlan = UpsertPlan(
        model=Household, key=("number",), compare=("branch_id", "name"), touch=None
    )

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        held = dict(
            in_values(
                Household.objects.all(), "number", (row.values["number"] for row in rows)
            ).values_list("number", "branch_id")
        )
        records = []
        for row in rows:
            values = row.values
            branch_id = context.branch_id(row, "branch")
            if branch_id is None:
                continue
            stored = held.get(values["number"])
            if stored is not None and not context.can_see(stored):
                context.report.add(
                    row.number, "number", _("This household number is held by another branch.")
                )
                continue
            records.append(
                {"number": values["number"], "branch_id": branch_id, "name": values["name"]}
            )
        return records


class RelationHandler(Handler):
    spec: KindSpec = KINDS["relations"]
    # A relation has nothing but its key: rows are added, never changed.
    plan: UpsertPlan = UpsertPlan(
        model=Relation,
        key=("customer_id", "related_id", "kind"),
        compare=(),
        touch=None,
        insert_only=True,
        # Related customers may share a phone: their shared-number defects are re-checked.
        affected="customer_id",
    )

    def check_row(self, row: ParsedRow, report: Report) -> bool:
        if row.values["customer_number"] == row.values["related_customer_number"]:
            report.add(
                row.number,
                "related_customer_number",
                _("A customer cannot be related to themself."),
            )
            return False
        return True

    def resolve(self, rows: list[ParsedRow], context: ImportContext) -> list[dict[str, Any]]:
        numbers = {row.values["customer_number"] for row in rows}
        numbers |= {row.values["related_customer_number"] for row in rows}
        customers = {
            number: (pk, birth_date)
            for number, pk, branch_id, birth_date in in_values(
                Customer.objects.all(), "number", numbers
            ).values_list("number", "id", "branch_id", "birth_date")
            if context.can_see(branch_id)
        }
        ids = [pk for pk, _birth in customers.values()]
        recorded = (
            in_values(in_values(Relation.objects.all(), "customer_id", ids), "related_id", ids)
            if ids  # on PostgreSQL an empty id array would not even type-check
            else Relation.objects.none()
        )
        known: set[Statement] = set()
        for customer_id, related_id, kind in recorded.values_list(
            "customer_id", "related_id", "kind"
        ):
            stated = statement(customer_id, related_id, kind)
            if stated is not None:
                known.add(stated)
        today = timezone.localdate(context.now)
        records = []
        for row in rows:
            values = row.values
            customer = customers.get(values["customer_number"])
            related = customers.get(values["related_customer_number"])
            if customer is None:
                self._unknown(context, row, "customer_number", _("customer"))
            if related is None:
                self._unknown(context, row, "related_customer_number", _("customer"))
            if customer is None or related is None:
                continue
            kind = values["kind"]
            guardian_birth = related[1]
            if (
                kind == RelationKind.GUARDIAN
                and guardian_birth is not None
                and age_on(guardian_birth, today) < GUARDIAN_MIN_AGE
            ):
                context.report.add(
                    row.number, "related_customer_number", _("The guardian is under 18.")
                )
                continue
            stated = statement(customer[0], related[0], kind)
            if stated is not None:
                if known.intersection(contradictions(stated)):
                    context.report.add(
                        row.number,
                        "kind",
                        _(
                            "Contradicts a relation between these two customers, recorded or "
                            "earlier in the file."
                        ),
                    )
                    continue
                known.add(stated)
            records.append({"customer_id": customer[0], "related_id": related[0], "kind": kind})
        return records
