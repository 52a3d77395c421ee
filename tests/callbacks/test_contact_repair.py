"""Before dialling, the task shows the policyholder's contact defects and the suggested
repair; each repair is a contact change of the registry, audited."""

from __future__ import annotations

import pytest

from policydesk.callbacks import selectors, services
from policydesk.core.errors import DomainError
from policydesk.core.models import AuditEvent
from policydesk.customers.models import ContactDefect, ContactPoint
from tests import factories

from .conftest import Desk


def test_a_mobile_with_0594_prepended_is_shown_with_its_repair_and_fixed(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    assert "area_code_prefixed_mobile" in task.defect_codes
    view = selectors.task_view(desk.agent, task.pk)
    line = view.phones[0]
    assert [d.code for d in line.defects] == ["area_code_prefixed_mobile"]
    assert line.suggestion == "13812345678"
    assert not line.usable
    score_before = task.score
    services.callback_contact_repair(
        task=task, contact=line.contact, new_raw=line.suggestion, by=desk.agent
    )
    contact = ContactPoint.objects.get(pk=line.contact.pk)
    assert contact.e164 == "+8613812345678"
    assert contact.phone_type == "mobile"
    assert not ContactDefect.objects.filter(
        customer=task.customer, resolved_at__isnull=True
    ).exists()
    assert AuditEvent.objects.filter(action="customers.contact.repair").count() == 1
    assert AuditEvent.objects.filter(action="callbacks.contact.repair").count() == 1
    task.refresh_from_db()
    assert task.score > score_before
    # The snapshot the KPIs compare keeps the defect the task was made with.
    assert "area_code_prefixed_mobile" in task.defect_codes


def test_a_mobile_filed_as_an_office_phone_is_refiled_as_a_mobile(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="13812345678", phone_type="fixed_line"))
    line = selectors.task_view(desk.agent, task.pk).phones[0]
    assert [d.code for d in line.defects] == ["mobile_in_fixed_line_field"]
    assert line.suggestion == "13812345678"
    services.callback_contact_repair(
        task=task, contact=line.contact, new_raw=line.suggestion, by=desk.agent
    )
    assert ContactPoint.objects.get(pk=line.contact.pk).phone_type == "mobile"


def test_an_intermediary_policy_without_a_phone_gets_the_number_the_customer_gives(
    desk: Desk,
) -> None:
    task = desk.task_for(desk.sale(phone="", channel="bancassurance"))
    view = selectors.task_view(desk.agent, task.pk)
    assert view.phones == []
    assert [d.code for d in view.policy_defects] == ["no_reachable_number"]
    services.callback_contact_repair(task=task, new_raw="13900001111", by=desk.agent)
    assert ContactPoint.objects.get(customer=task.customer).e164 == "+8613900001111"
    assert not ContactDefect.objects.filter(
        customer=task.customer, resolved_at__isnull=True
    ).exists()


def test_a_number_of_the_wrong_length_is_replaced(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="1381234567"))
    line = selectors.task_view(desk.agent, task.pk).phones[0]
    assert [d.code for d in line.defects] == ["invalid_length"]
    assert line.suggestion == ""  # no repair can be derived: ask the customer
    services.callback_contact_repair(
        task=task, contact=line.contact, new_raw="13812345679", by=desk.agent
    )
    assert ContactPoint.objects.get(pk=line.contact.pk).is_valid


def test_a_shared_village_number_is_replaced_by_the_customers_own(desk: Desk) -> None:
    shared = "05948888888"
    neighbour = factories.customer(desk.world.branch_a)
    from policydesk.customers import services as customer_services

    customer_services.contact_add(
        customer=neighbour, kind="phone", raw=shared, phone_type="fixed_line", by=None
    )
    task = desk.task_for(desk.sale(phone=shared, phone_type="fixed_line"))
    assert "shared_number" in task.defect_codes
    services.callback_contact_repair(task=task, new_raw="13812340000", by=desk.agent)
    assert ContactPoint.objects.filter(customer=task.customer, e164="+8613812340000").exists()


def test_a_repair_to_an_invalid_number_is_refused_and_the_old_one_stays(desk: Desk) -> None:
    task = desk.task_for(desk.sale(phone="059413812345678", phone_type="fixed_line"))
    line = selectors.task_view(desk.agent, task.pk).phones[0]
    with pytest.raises(DomainError) as refused:
        services.callback_contact_repair(
            task=task, contact=line.contact, new_raw="12345", by=desk.agent
        )
    assert refused.value.field == "new_raw"
    assert ContactPoint.objects.get(pk=line.contact.pk).raw == "059413812345678"
    assert not AuditEvent.objects.filter(action="callbacks.contact.repair").exists()


def test_a_contact_of_another_customer_cannot_be_repaired_from_the_task(desk: Desk) -> None:
    task = desk.task_for(desk.sale())
    other = desk.sale(phone="13812349999")
    contact = ContactPoint.objects.get(customer=other.policyholder)
    with pytest.raises(DomainError) as refused:
        services.callback_contact_repair(
            task=task, contact=contact, new_raw="13812340001", by=desk.agent
        )
    assert refused.value.field == "contact"
    assert ContactPoint.objects.get(pk=contact.pk).raw == "13812349999"
