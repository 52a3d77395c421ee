"""The customers and policies API: search, the 360 as JSON (masked by role), registration with
idempotency, contacts, consents, one policy, the product catalogue."""

from __future__ import annotations

from typing import Any

from django.test import Client

from policydesk.core.models import AuditEvent, IdempotencyRecord
from policydesk.customers.models import Consent, ContactPoint, Customer
from policydesk.org.models import Role
from tests import factories
from tests.conftest import World, signed_in
from tests.customers.test_customer_360 import ID_NUMBER, rich_customer

NEW_ID = factories.resident_id(sequence=7)


def new_customer(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "number": "C-API-1",
        "kind": "person",
        "branch_id": world.branch_a.pk,
        "name": "黄丽",
        "id_type": "resident_id",
        "id_number": NEW_ID,
        "gender": "F",
        **changes,
    }


def post(client: Client, url: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(url, body, content_type="application/json", **headers)


def test_a_teller_registers_a_customer(world: World) -> None:
    response = post(signed_in(world.teller_a), "/api/v1/customers", new_customer(world))

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.branch_id == world.branch_a.pk
    assert body["id_number_masked"].endswith(NEW_ID[-4:])
    assert NEW_ID not in response.content.decode()


def test_a_retried_create_with_the_same_key_creates_one_customer(world: World) -> None:
    client = signed_in(world.teller_a)

    first = post(client, "/api/v1/customers", new_customer(world), key="k-1")
    again = post(client, "/api/v1/customers", new_customer(world), key="k-1")
    changed = post(client, "/api/v1/customers", new_customer(world, name="别人"), key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "idempotency_key_reused"
    assert Customer.objects.filter(number="C-API-1").count() == 1
    record = IdempotencyRecord.objects.get(key="k-1")
    assert NEW_ID not in record.request_fingerprint + str(record.response_body)


def test_a_bad_create_names_the_field_as_sent(world: World) -> None:
    client = signed_in(world.teller_a)

    bad_id = post(client, "/api/v1/customers", new_customer(world, id_number="123"))
    other_branch = post(
        client, "/api/v1/customers", new_customer(world, branch_id=world.branch_b.pk)
    )

    assert bad_id.status_code == 400
    assert bad_id.json()["error"]["field"] == "id_number"
    assert other_branch.status_code == 404
    assert not Customer.objects.filter(number="C-API-1").exists()


def test_a_role_without_manage_cannot_register(world: World) -> None:
    response = post(signed_in(world.auditor), "/api/v1/customers", new_customer(world))

    assert response.status_code == 403
    assert not Customer.objects.filter(number="C-API-1").exists()


def test_search_over_the_api(world: World) -> None:
    customer = rich_customer(world)
    client = signed_in(world.teller_a)

    by_phone = client.get("/api/v1/customers", {"q": "138 1234 5678"})
    by_id = client.get("/api/v1/customers", {"q": ID_NUMBER})
    by_name = client.get("/api/v1/customers", {"q": "林", "limit": 1})

    assert by_phone.status_code == 200
    # The 0594-prefixed number is not a valid phone; the second contact is found.
    assert [
        item["id"] for item in client.get("/api/v1/customers", {"q": "13900001111"}).json()["items"]
    ] == [customer.pk]
    assert [item["id"] for item in by_id.json()["items"]] == [customer.pk]
    item = by_name.json()["items"][0]
    assert item["id"] == customer.pk
    assert item["policies"] == 1
    assert ID_NUMBER not in by_id.content.decode()


def test_the_360_json_is_masked_by_role(world: World) -> None:
    customer = rich_customer(world)
    agent = factories.staff(Role.CALLBACK_AGENT, world.branch_a)

    as_teller = signed_in(world.teller_a).get(f"/api/v1/customers/{customer.pk}")
    as_agent = signed_in(agent).get(f"/api/v1/customers/{customer.pk}")

    assert as_teller.status_code == as_agent.status_code == 200
    teller_body = as_teller.json()
    assert teller_body["identity"] == {
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "revealed": True,
    }
    assert (
        AuditEvent.objects.filter(
            action="customers.identity.reveal", actor_id=world.teller_a.pk
        ).count()
        == 1
    )
    assert ID_NUMBER not in as_agent.content.decode()
    assert as_agent.json()["identity"]["revealed"] is False
    (policy,) = teller_body["policies"]
    assert policy["roles"] == ["policyholder"]
    assert policy["mandate"]["account_masked"] == "****5678"
    assert policy["premiums"][0]["attempts"][0]["result"] == "insufficient_funds"
    assert {entry["kind"] for entry in teller_body["timeline"]} >= {"consent", "policy_status"}
    assert len(teller_body["consent_history"]) == 3
    assert teller_body["contacts"][0]["defects"] or teller_body["contacts"][1]["defects"]


def test_a_contact_and_a_consent_are_added(world: World) -> None:
    customer = factories.customer(world.branch_a)
    client = signed_in(world.teller_a)
    contact_url = f"/api/v1/customers/{customer.pk}/contacts"

    contact = post(client, contact_url, {"kind": "phone", "raw": "0594-13812345678"}, key="c1")
    replay = post(client, contact_url, {"kind": "phone", "raw": "0594-13812345678"}, key="c1")
    consent = post(
        client,
        f"/api/v1/customers/{customer.pk}/consents",
        {"purpose": "marketing", "channel": "sms", "granted": False, "source": "phone call"},
    )

    assert contact.status_code == replay.status_code == 201
    assert contact.json()["defects"][0]["suggestion"] == "+8613812345678"
    assert ContactPoint.objects.filter(customer=customer).count() == 1
    assert consent.status_code == 201
    assert Consent.objects.get(customer=customer).granted is False


def test_one_policy_and_the_products(world: World) -> None:
    customer = rich_customer(world)
    policy = customer.policies_held.get()
    client = signed_in(world.teller_a)

    detail = client.get(f"/api/v1/policies/{policy.pk}")
    products = client.get("/api/v1/products")

    assert detail.status_code == 200
    assert detail.json()["number"] == policy.number
    assert detail.json()["parties"][0]["name"] == "陈建国"
    assert "6228480012345678" not in detail.content.decode()
    assert products.status_code == 200
    assert policy.product.code in [p["code"] for p in products.json()]
