"""Column specifications of households and relations (家庭与亲属关系).

Read them through `specs.KINDS`: this module builds on the helpers of `specs` and is
imported by it, so `specs` must be imported first. Which columns carry household
membership, and why, is in docs/decisions/0004-household-imports.md.
"""

from __future__ import annotations

from policydesk.customers.models import RelationKind

from .specs import KindSpec, choice, text

HOUSEHOLDS = KindSpec(
    kind="households",
    title="Households",
    description=(
        "Households (家庭). Key: `number`. Customers join a household by the "
        "`household_number` column of the customers file, so import households first."
    ),
    columns=(
        text(
            "number",
            "Household (family) number in the source system.",
            required=True,
            max_length=32,
        ),
        text(
            "branch", "Code of the branch that holds the household.", required=True, max_length=32
        ),
        text("name", "Name of the household, e.g. the head's name followed by 户.", required=True),
    ),
    key=("number",),
    example=(
        ("H0000001", "branch-a", "张伟户"),
        ("H0000002", "branch-a", "李娜户"),
    ),
)

RELATIONS = KindSpec(
    kind="relations",
    title="Relations",
    description=(
        "Relations between customers (亲属关系). Key: (`customer_number`, "
        "`related_customer_number`, `kind`); `kind` says what the related customer is to the "
        "customer (in `C1,C2,child` C2 is C1's child). Both customers must exist and be "
        "visible to you. Refused: a customer related to themself; two customers who would be "
        "each other's parent, guardian or employer; spouses who are also parent and child; a "
        "guardian under 18. The ward of a guardian may be an adult (adult guardianship, "
        "成年监护). Relations are only added: one left out of a later file stays."
    ),
    columns=(
        text("customer_number", "Number of an existing customer.", required=True, max_length=32),
        text(
            "related_customer_number",
            "Number of the related customer (another existing customer).",
            required=True,
            max_length=32,
        ),
        choice(
            "kind", RelationKind, "What the related customer is to the customer.", required=True
        ),
    ),
    key=("customer_number", "related_customer_number", "kind"),
    example=(
        ("C0000001", "C0000002", "child"),
        ("C0000002", "C0000001", "parent"),
        ("C0000002", "C0000003", "employer"),
    ),
)
