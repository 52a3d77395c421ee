"""A claim's steps are taken through the claims services only: on the generic case page and
the case API they are refused, so an approval cannot skip the authority limit or a payment
its record."""

from __future__ import annotations

import pytest

from policydesk.cases import services as case_services
from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent

from .conftest import ClaimsWorld, calculate, fresh, register, report, signed_in_en


def test_the_engine_refuses_a_claim_step_taken_outside_the_claims_services(
    cw: ClaimsWorld,
) -> None:
    claim = calculate(cw, register(cw, report(cw, amount="58000.00")), "58000.00")  # > ¥10,000
    state = fresh(claim).case.state.code
    steps = list(
        claim.case.process_version.transitions.filter(from_state=claim.case.state_id).values_list(
            "code", flat=True
        )
    )
    assert steps, "a calculated claim has steps to take"
    audited = AuditEvent.objects.filter(action="cases.transition").count()

    with pytest.raises(DomainError) as refused:
        case_services.case_transition(case=claim.case, transition_code=steps[0], by=cw.handler)

    assert refused.value.code == "transition_managed"
    assert fresh(claim).case.state.code == state
    assert AuditEvent.objects.filter(action="cases.transition").count() == audited


def test_the_case_page_links_to_the_claim_page_and_offers_no_steps(cw: ClaimsWorld) -> None:
    claim = register(cw, report(cw))
    client = signed_in_en(cw.handler)

    page = client.get(f"/cases/{claim.case.pk}/").content.decode()

    assert "taken on its own page" in page
    assert f'href="/claims/{claim.pk}/"' in page
    assert f'action="/cases/{claim.case.pk}/transition/"' not in page
    step = claim.case.process_version.transitions.filter(from_state=claim.case.state_id).first()
    assert step is not None
    answer = client.post(
        f"/api/v1/cases/{claim.case.pk}/transitions",
        {"transition": step.code},
        content_type="application/json",
    )
    assert answer.status_code in (400, 409, 422)
    assert fresh(claim).case.state.code == claim.case.state.code
