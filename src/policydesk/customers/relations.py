"""A customer's relations seen from their own side, whichever side recorded them.

A relation is stored once, on one customer ("A child B": B is A's child); B's page shows
it too, as "Parent: A". A fact recorded from both sides is shown once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Customer, Relation, RelationKind

# What the recording customer is to the related one, by what the related one is to them.
INVERSE_LABELS: dict[str, str | Promise] = {
    RelationKind.SPOUSE: RelationKind.SPOUSE.label,
    RelationKind.CHILD: RelationKind.PARENT.label,
    RelationKind.PARENT: RelationKind.CHILD.label,
    RelationKind.GUARDIAN: _("Ward"),  # 被监护人
    RelationKind.EMPLOYER: _("Employee"),
    RelationKind.OTHER: RelationKind.OTHER.label,
}


@dataclass(frozen=True)
class RelatedParty:
    label: str  # what `customer` is to the customer whose page this is
    customer: Customer


def related_parties(customer: Customer, relations: Iterable[Relation]) -> list[RelatedParty]:
    """The relations (with `customer` and `related` loaded) from `customer`'s side."""
    parties: list[RelatedParty] = []
    seen: set[tuple[str, int]] = set()
    for relation in relations:
        if relation.customer_id == customer.pk:
            label, other = str(relation.get_kind_display()), relation.related
        else:
            label, other = str(INVERSE_LABELS[relation.kind]), relation.customer
        if (label, other.pk) not in seen:
            seen.add((label, other.pk))
            parties.append(RelatedParty(label, other))
    return parties
