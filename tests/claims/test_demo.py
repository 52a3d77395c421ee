"""The demo claims: exactly round(2708 × scale) claims of the branch in the operations period,
mostly small medical ones, reported at the counter by the tellers and the claims handler,
one investigator for all investigations, a second call creating nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count

from policydesk.cases.models import Case
from policydesk.claims.demo import claims_demo
from policydesk.claims.models import Claim, ClaimPayment, Investigation
from policydesk.demo.operations_year import operations_period
from policydesk.org.models import Role
from tests import factories

from .conftest import ClaimsWorld

AS_OF = dt.date(2026, 11, 20)


def test_the_demo_makes_the_seed_share_of_claims_once(cw: ClaimsWorld) -> None:
    branch = cw.world.branch_a
    tellers = [cw.world.teller_a] + [
        factories.staff(Role.FRONT_TELLER, branch, username=f"demo-teller{n}") for n in range(4)
    ]
    for n in range(40):
        factories.policy(
            factories.customer(branch),
            number=f"PL-DEMO-{n:03d}",
            application_date=dt.date(2025, 3, 1),
        )
    counts = claims_demo(branch=branch, seed=7, as_of=AS_OF, scale=0.25)
    total = round(2708 * 0.25)
    assert counts["claims"] == total == Claim.objects.filter(case__branch=branch).count()
    assert counts["open"] == 6 and counts["historic"] == total - 6
    first, last = operations_period(AS_OF)
    days = {claim.reported_at.date() for claim in Claim.objects.all()}
    assert min(days) >= first - dt.timedelta(days=1) and max(days) <= last
    types = Counter(Claim.objects.values_list("claim_type", flat=True))
    assert types["medical"] > total / 2
    assert Claim.objects.filter(is_fast_track=True).count() > total / 3
    openers = Counter(
        Case.objects.filter(process__code="claim").values_list("opened_by", flat=True)
    )
    allowed = {t.pk for t in tellers} | {cw.handler.pk}
    assert set(openers) <= allowed
    assert sum(openers[t.pk] for t in tellers) > openers[cw.handler.pk]
    assert set(Investigation.objects.values_list("investigator", flat=True)) == {cw.investigator.pk}
    # Open work is still in progress, with its clocks running.
    unfinished = Case.objects.filter(process__code="claim").exclude(
        category__in=("resolved", "closed")
    )
    assert unfinished.count() >= 5
    assert unfinished.annotate(n=Count("clocks")).filter(n=0).count() == 0
    assert ClaimPayment.objects.filter(is_advance=False).count() > total / 2
    again = claims_demo(branch=branch, seed=7, as_of=AS_OF, scale=0.25)
    assert set(again.values()) == {0}
    assert Claim.objects.count() == total
