"""Initial review and scan QC: the defect checklist is data, a failed scan stays for the
rescan with the pages named, and the insured list goes through the API as a file."""

from __future__ import annotations

import pytest

from policydesk.core.errors import DomainError
from policydesk.newbusiness import catalogue, services
from policydesk.newbusiness.models import Application, DefectNotice, InsuredMember
from tests import factories
from tests.conftest import signed_in

from .conftest import Desk, at_day, register, to_review


def test_the_checklist_holds_the_defects_the_branch_reports() -> None:
    codes = set(catalogue.defects())
    assert {
        "altered-sum-assured",
        "altered-premium",
        "altered-product-name",
        "altered-term",
        "product-name-nonstandard",
        "address-nonstandard",
        "bank-account-missing",
        "minor-without-guardian",
        "signature-missing",
    } <= codes
    assert catalogue.defects()["altered-premium"].replace_form


def test_an_altered_key_field_asks_for_a_new_form_in_the_notice(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    services.application_review(
        application=application,
        defects=[("altered-premium", "premium overwritten")],
        by=desk.world.teller_a,
        at=at_day(1),
    )
    assert "fill in a new application form" in DefectNotice.objects.get().text


def test_an_unknown_defect_is_refused_and_nothing_is_sent(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    with pytest.raises(DomainError) as refused:
        services.application_review(
            application=application, defects=[("coffee-stain", "")], by=desk.world.teller_a
        )
    assert refused.value.field == "defects"
    assert not DefectNotice.objects.exists()
    assert Application.objects.get(pk=application.pk).stage == "initial-review"


def test_a_failed_scan_stays_for_the_rescan_and_needs_the_pages_named(desk: Desk) -> None:
    application = to_review(desk, register(desk), at_day(0))
    application = services.application_review(
        application=application, defects=[], by=desk.world.teller_a, at=at_day(0)
    )
    with pytest.raises(DomainError) as refused:
        services.application_scan_qc(
            application=application, passed=False, by=desk.world.teller_a, at=at_day(0)
        )
    assert refused.value.field == "note"
    application = services.application_scan_qc(
        application=application,
        passed=False,
        note="page 3 blurred",
        by=desk.world.teller_a,
        at=at_day(0),
    )
    assert (application.stage, application.scan_result) == ("scan-qc", "failed")
    application = services.application_scan_qc(
        application=application, passed=True, by=desk.world.teller_a, at=at_day(1)
    )
    assert (application.stage, application.scan_result) == ("underwriting", "passed")


def test_the_insured_list_is_uploaded_through_the_api(desk: Desk) -> None:
    application = register(
        desk,
        source_system="short_term_group",
        channel="group",
        product=desk.group_product,
        payment_mode="single",
        payment_method="bank_transfer",
        term_years=1,
    )
    number = factories.resident_id(sequence=321)
    content = (
        "name,id_number,birth_date,gender,sum_assured,premium\n"
        f"Pupil A,{number},2014-05-01,M,50000,60.00\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = signed_in(desk.world.teller_a)
    response = client.post(
        f"/api/v1/newbusiness/applications/{application.pk}/insured-list",
        {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] is True
    assert InsuredMember.objects.get().id_type == "resident_id"
