"""Contact quality: each defect that cost the seed branch its callbacks is found, named,
repaired and kept current."""

from __future__ import annotations

from typing import Any

from policydesk.core.models import AuditEvent
from policydesk.customers import quality, services
from policydesk.customers.models import ContactDefect, ContactPoint, Customer
from policydesk.org.models import Branch
from policydesk.policies.services import agent_create
from tests import factories
from tests.conftest import World


def phone(customer: Customer, raw: str, phone_type: str = "mobile") -> ContactPoint:
    return services.contact_add(
        customer=customer, kind="phone", raw=raw, phone_type=phone_type, by=None
    )


def open_codes(customer: Customer) -> set[str]:
    return set(
        ContactDefect.objects.filter(customer=customer, resolved_at__isnull=True).values_list(
            "code", flat=True
        )
    )


def new_customer(branch: Branch, **extra: Any) -> Customer:
    created: Customer = factories.customer(branch, **extra)
    return created


def test_a_mobile_with_the_0594_area_code_prepended_is_found_with_its_repair(
    world: World,
) -> None:
    customer = new_customer(world.branch_a)
    contact = phone(customer, "0594-13812345678", phone_type="fixed_line")
    defect = ContactDefect.objects.get(contact=contact)
    assert defect.code == "area_code_prefixed_mobile"
    assert defect.suggestion == "+8613812345678"
    assert defect.resolved_at is None


def test_a_mobile_in_the_fixed_line_field_is_found(world: World) -> None:
    customer = new_customer(world.branch_a)
    phone(customer, "13812345678", phone_type="fixed_line")
    assert open_codes(customer) == {"mobile_in_fixed_line_field"}


def test_a_mobile_one_digit_short_has_an_invalid_length(world: World) -> None:
    customer = new_customer(world.branch_a)
    phone(customer, "1381234567")
    assert open_codes(customer) == {"invalid_length"}


def test_a_number_no_plan_allows_is_invalid(world: World) -> None:
    customer = new_customer(world.branch_a)
    phone(customer, "12345678901")
    assert open_codes(customer) == {"invalid_number"}


def test_a_number_shared_by_unrelated_customers_is_found_on_both(world: World) -> None:
    first = new_customer(world.branch_a, phones=["13812345678"])
    second = new_customer(world.branch_a, phones=["138 1234 5678"])
    assert open_codes(first) == {"shared_number"}
    assert open_codes(second) == {"shared_number"}


def test_spouses_sharing_a_number_is_not_a_defect(world: World) -> None:
    husband = new_customer(world.branch_a, phones=["13812345678"])
    wife = new_customer(world.branch_a)
    services.household_link(customer=husband, related=wife, kind="spouse", by=None)
    phone(wife, "13812345678")
    assert open_codes(husband) == set()
    assert open_codes(wife) == set()


def test_linking_spouses_resolves_the_shared_number_found_before(world: World) -> None:
    husband = new_customer(world.branch_a, phones=["13812345678"])
    wife = new_customer(world.branch_a, phones=["13812345678"])
    assert open_codes(wife) == {"shared_number"}
    services.household_link(customer=husband, related=wife, kind="spouse", by=None)
    assert open_codes(husband) == set()
    assert open_codes(wife) == set()


def test_a_customer_carrying_the_agents_own_phone_is_found(world: World) -> None:
    customer = new_customer(world.branch_a, phones=["13959401234"])
    agent_create(code="A001", name="Lin", branch=world.branch_a, phone="13959401234", by=None)
    defect = ContactDefect.objects.get(customer=customer, resolved_at__isnull=True)
    assert defect.code == "shared_number"
    assert "A001" in defect.detail


def test_a_policy_whose_holder_has_no_usable_phone_is_unreachable(world: World) -> None:
    holder = new_customer(world.branch_a, phones=["0594-13812345678"])
    policy = factories.policy(holder)
    defect = ContactDefect.objects.get(customer=holder, code="no_reachable_number")
    assert defect.policy == policy


def test_a_policy_whose_holder_has_a_good_mobile_is_reachable(world: World) -> None:
    holder = new_customer(world.branch_a, phones=["13812345678"])
    factories.policy(holder)
    assert open_codes(holder) == set()


def test_repairing_the_number_resolves_its_defects_and_is_audited(world: World) -> None:
    holder = new_customer(world.branch_a)
    contact = phone(holder, "0594-13812345678", phone_type="fixed_line")
    factories.policy(holder)
    assert open_codes(holder) == {"area_code_prefixed_mobile", "no_reachable_number"}

    repaired = services.contact_repair(contact=contact, new_raw="13812345678", by=world.teller_a)

    assert (repaired.e164, repaired.phone_type) == ("+8613812345678", "mobile")
    assert open_codes(holder) == set()
    assert not ContactDefect.objects.filter(customer=holder, resolved_at__isnull=True).exists()
    assert ContactDefect.objects.filter(customer=holder, resolved_at__isnull=False).count() == 2
    event = AuditEvent.objects.get(action="customers.contact.repair")
    assert event.actor_id == world.teller_a.pk
    assert event.before["phone"].endswith("5678")


def test_the_repair_audit_shows_no_number_in_clear(world: World) -> None:
    contact = phone(new_customer(world.branch_a), "0594-13812345678", phone_type="fixed_line")
    services.contact_repair(contact=contact, new_raw="13812345678", by=None)
    event = AuditEvent.objects.get(action="customers.contact.repair")
    assert "13812345678" not in str(event.before) + str(event.after)


def test_refreshing_twice_opens_nothing_new(world: World) -> None:
    first = new_customer(world.branch_a, phones=["13812345678", "1381234567"])
    second = new_customer(world.branch_b, phones=["13812345678"])
    factories.policy(second)
    ids = [first.pk, second.pk]
    quality.refresh_for_customers(ids)
    rows = list(ContactDefect.objects.order_by("id").values())

    assert quality.refresh_for_customers(ids) == (0, 0)
    assert list(ContactDefect.objects.order_by("id").values()) == rows


def test_the_nightly_sweep_finds_what_was_missed(world: World) -> None:
    customer = new_customer(world.branch_a, phones=["1381234567"])
    factories.policy(new_customer(world.branch_b))
    ContactDefect.objects.all().delete()  # as if the findings were never made

    assert quality.refresh_all() == "2 contact defects opened, 0 resolved"
    assert open_codes(customer) == {"invalid_length"}
    assert quality.refresh_all() == "0 contact defects opened, 0 resolved"


def _generated_population(world: World, size: int = 90) -> list[int]:
    """Customers with phones drawn from a small pool (so numbers are shared), entered in
    either field, some malformed, spouses and other relations, an agent's phone, and
    policies in force, lapsed or terminated."""
    import random

    from policydesk.policies.models import Policy

    rng = random.Random(20_261_201)
    special = [
        "13812345678",
        "138 1234 5678",
        "13959401234",
        "13700000001",
        "0594-13812345679",
        "1381234567",
        "12345678901",
        "0594-2345678",
        "059422345678",
        "+85291234567",
    ]
    plain = [f"139{n:08d}" for n in range(40)]
    agent_create(code="A900", name="Lin", branch=world.branch_a, phone="13959401234", by=None)
    customers = []
    for _ in range(size):
        branch = world.branch_a if rng.random() < 0.6 else world.branch_b
        customer = new_customer(branch)
        raws = {
            rng.choice(special if rng.random() < 0.4 else plain) for _ in range(rng.randrange(4))
        }
        for raw in sorted(raws):
            phone(customer, raw, phone_type=rng.choice(("mobile", "mobile", "fixed_line")))
        for _ in range(rng.choice((0, 1, 1, 2))):
            policy = factories.policy(customer)
            if rng.random() < 0.25:
                Policy.objects.filter(pk=policy.pk).update(
                    status=rng.choice(("surrendered", "lapsed", "matured"))
                )
        customers.append(customer)
    for _ in range(size // 6):
        first, second = rng.sample(customers, 2)
        kind = rng.choice(("spouse", "child", "other"))
        services.household_link(customer=first, related=second, kind=kind, by=None)
    return [c.pk for c in customers]


def test_the_set_based_findings_are_those_of_the_per_customer_check(world: World) -> None:
    ids = set(_generated_population(world))
    per_customer = quality.findings_for(ids)
    assert {f.code for f in per_customer} >= {
        "shared_number",
        "no_reachable_number",
        "invalid_length",
        "area_code_prefixed_mobile",
        "mobile_in_fixed_line_field",
    }  # the population exercises every kind of finding
    assert sorted(quality.findings_many(ids), key=repr) == sorted(per_customer, key=repr)
    some = set(sorted(ids)[::7])
    assert sorted(quality.findings_many(some), key=repr) == sorted(
        quality.findings_for(some), key=repr
    )


def test_the_set_based_refresh_stores_what_the_per_customer_refresh_stores(
    world: World,
) -> None:
    ids = _generated_population(world)
    fields = ("customer_id", "code", "contact_id", "policy_id", "detail", "suggestion")

    def open_defects() -> list[tuple[Any, ...]]:
        return sorted(ContactDefect.objects.filter(resolved_at__isnull=True).values_list(*fields))

    # A finding keeps the detail it was opened with: compare findings made from scratch.
    ContactDefect.objects.all().delete()
    quality.refresh_for_customers(ids)
    expected = open_defects()
    assert quality.refresh_many(ids) == (0, 0)

    ContactDefect.objects.all().delete()
    opened, resolved = quality.refresh_many(ids[: len(ids) // 2])
    assert opened > 0
    assert resolved == 0
    quality.refresh_many(ids)
    assert open_defects() == expected
    assert quality.refresh_for_customers(ids) == (0, 0)


def test_an_unreachable_policy_is_shown_on_the_customer_page_and_in_the_api(
    world: World,
) -> None:
    from tests.conftest import signed_in

    holder = new_customer(world.branch_a)  # no phone at all
    policy = factories.policy(holder)
    client = signed_in(world.teller_a)
    client.cookies["django_language"] = "en"

    page = client.get(f"/customers/{holder.pk}/").content.decode()
    api = client.get(f"/api/v1/customers/{holder.pk}").json()

    assert policy.number in page
    assert "Policy with no reachable number" in page
    (defect,) = api["policy_defects"]
    assert (defect["code"], defect["policy_number"]) == ("no_reachable_number", policy.number)
    # A manager of another branch sees neither the customer nor the defect.
    assert signed_in(world.manager_b).get(f"/api/v1/customers/{holder.pk}").status_code == 404
