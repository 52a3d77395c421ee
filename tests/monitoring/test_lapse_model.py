"""The lapse-risk model: trained on a small generated history, explained per policy."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from policydesk.core.errors import DomainError, PermissionRefused
from policydesk.monitoring import risk
from policydesk.monitoring.models import LapseModel, PolicyRiskScore, WorkItem
from policydesk.monitoring.services import lapse_model_train, monitoring_run_now
from policydesk.policies.models import Policy, PolicyStatusChange
from tests.conftest import World

from .conftest import AS_OF, Book, attempt, browser, make_policy, premium


def generated_history(book: Book, n: int = 60) -> list[Policy]:
    """Monthly cash payers with failed debits lapse; annual auto-debit payers stay."""
    rng = random.Random(7)
    policies = []
    for index in range(n):
        risky = index % 2 == 0
        policy = make_policy(
            book,
            payment_mode="monthly" if risky else "annual",
            payment_method="auto_debit",
        )
        due = premium(policy, AS_OF - dt.timedelta(days=100 + index), status="paid")
        if risky or rng.random() < 0.1:
            for offset in range(3 if risky else 1):
                attempt(due, due.due_date + dt.timedelta(days=offset), "insufficient_funds")
        if (risky and rng.random() < 0.85) or (not risky and rng.random() < 0.1):
            PolicyStatusChange.objects.create(
                policy=policy, from_status="in_grace", to_status="lapsed", changed_on=AS_OF
            )
        policies.append(policy)
    return policies


def test_the_model_learns_that_failed_debits_raise_the_risk(book: Book, world: World) -> None:
    generated_history(book)
    model = lapse_model_train(as_of=AS_OF, by=world.head)
    coefficients = {f["name"]: f["coefficient"] for f in model.features}
    assert coefficients["failed_debits"] > 0
    assert model.is_current and model.n_train + model.n_test == 60
    assert model.auc is not None and model.auc > 0.7
    assert sum(row["n"] for row in model.calibration) == model.n_test


def test_training_scores_every_policy_and_reorders_the_work_items(book: Book, world: World) -> None:
    policies = generated_history(book)
    premium(policies[0], AS_OF + dt.timedelta(days=3))
    monitoring_run_now(as_of=AS_OF)
    item = WorkItem.objects.get(rule="premium_due")
    assert item.priority == 45  # unscored: the default risk of 0.5
    lapse_model_train(as_of=AS_OF, by=world.head)
    assert PolicyRiskScore.objects.count() == len(policies)
    score = PolicyRiskScore.objects.get(policy=policies[0]).score
    item.refresh_from_db()
    assert item.priority == round(3 * (1 + score) * 10)


def test_the_explanation_names_the_top_contributions(book: Book, world: World) -> None:
    policies = generated_history(book)
    model = lapse_model_train(as_of=AS_OF, by=world.head)
    history = risk.policy_history(as_of=AS_OF, policy_ids=[policies[0].pk])
    top = risk.explain_row(history.rows[0], model.features)
    assert len(top) == 3
    assert abs(top[0].contribution) >= abs(top[1].contribution) >= abs(top[2].contribution)
    # The first policy is a monthly payer with three failed debits. In this history the mode
    # (monthly, or not annual) and the failures go together, so the model may weigh any of
    # them; which leads depends on the ids the database handed out (the hold-out is id mod
    # 5). One of them explains the score, and raises it.
    paying = {"failed_debits", "payment_mode:monthly", "payment_mode:annual"}
    drivers = [c for c in top if c.feature in paying]
    assert drivers and all(c.contribution > 0 for c in drivers)
    scored = risk.score_row(history.rows[0], model.features, model.intercept)
    assert scored == pytest.approx(PolicyRiskScore.objects.get(policy=policies[0]).score)


def test_a_history_without_lapses_cannot_train_a_model(book: Book, world: World) -> None:
    make_policy(book)
    with pytest.raises(DomainError) as error:
        lapse_model_train(as_of=AS_OF, by=world.head)
    assert error.value.field == "history"
    assert not LapseModel.objects.exists()


def test_only_the_head_of_service_retrains(book: Book) -> None:
    generated_history(book, n=10)
    with pytest.raises(PermissionRefused):
        lapse_model_train(as_of=AS_OF, by=book.rm)
    assert not LapseModel.objects.exists()


def test_the_work_item_page_explains_the_policy_score(book: Book, world: World) -> None:
    from django.urls import reverse

    policies = generated_history(book)
    premium(policies[0], AS_OF + dt.timedelta(days=3))
    monitoring_run_now(as_of=AS_OF)
    lapse_model_train(as_of=AS_OF, by=world.head)
    item = WorkItem.objects.get(rule="premium_due")
    page = browser(book.rm).get(reverse("monitoring:item", args=[item.pk])).content.decode()
    assert "What drives the score most" in page
    # Its three strongest factors; which three depends on the ids the database handed out
    # (the hold-out is id mod 5), so the test does not name them.
    assert page.count("<li><code>") == 3
