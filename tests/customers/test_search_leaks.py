"""Staff of branch B cannot find branch A's customer by any key, on the page or the API."""

from __future__ import annotations

import pytest

from policydesk.customers.identity import resident_id_check_digit
from policydesk.customers.models import Customer
from policydesk.customers.selectors import customer_search
from tests import factories
from tests.conftest import World, signed_in

SECRET_ID = "35032219750505321" + resident_id_check_digit("35032219750505321")
KEYS = ["机密客户", "13912345678", "+86 139 1234 5678", SECRET_ID, "LEAK-POL-1", "C-LEAK-1"]


@pytest.fixture
def secret_customer(world: World) -> Customer:
    customer = factories.customer(
        world.branch_a,
        number="C-LEAK-1",
        name="机密客户",
        id_number=SECRET_ID,
        phones=["13912345678"],
    )
    factories.policy(customer, number="LEAK-POL-1")
    return customer


@pytest.mark.parametrize("query", KEYS)
def test_branch_a_staff_find_their_customer_by_every_key(
    world: World, secret_customer: Customer, query: str
) -> None:
    assert [r.customer.pk for r in customer_search(world.teller_a, query).items] == [
        secret_customer.pk
    ]


@pytest.mark.parametrize("query", KEYS)
def test_a_teller_of_branch_b_finds_nothing_by_any_key(
    world: World, secret_customer: Customer, query: str
) -> None:
    assert customer_search(world.teller_b, query).items == []
    assert customer_search(world.manager_b, query).items == []


@pytest.mark.parametrize("query", KEYS)
def test_neither_the_page_nor_the_api_shows_branch_a_to_branch_b(
    world: World, secret_customer: Customer, query: str
) -> None:
    client = signed_in(world.teller_b)

    page = client.get("/customers/", {"q": query})
    fragment = client.get("/customers/", {"q": query}, HTTP_HX_REQUEST="true")
    api = client.get("/api/v1/customers", {"q": query})

    for response in (page, fragment, api):
        assert response.status_code == 200
        body = response.content.decode()
        # The query is echoed in the search box; nothing else of the customer may appear.
        for marker in ("机密客户", "C-LEAK-1", SECRET_ID[-4:], "LEAK-POL-1"):
            if marker not in query:
                assert marker not in body, marker
    assert api.json()["items"] == []


def test_branch_b_cannot_open_branch_a_customer_or_policy(
    world: World, secret_customer: Customer
) -> None:
    client = signed_in(world.teller_b)
    policy = secret_customer.policies_held.get()

    assert client.get(f"/customers/{secret_customer.pk}/").status_code == 404
    assert client.get(f"/policies/{policy.pk}/").status_code == 404
    assert client.get(f"/api/v1/customers/{secret_customer.pk}").status_code == 404
    assert client.get(f"/api/v1/policies/{policy.pk}").status_code == 404
    response = client.post(
        f"/api/v1/customers/{secret_customer.pk}/consents",
        {"purpose": "marketing", "channel": "sms", "granted": True, "source": "probe"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not secret_customer.consents.exists()
