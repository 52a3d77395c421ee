"""Lapse-and-surrender risk (失效/退保风险): features from the policy history, a logistic
regression trained with scikit-learn, its back-test (AUC, calibration) and per-policy
explanations (coefficient × standardised value).

The trained model is stored as numbers in LapseModel (means, scales, coefficients,
intercept) and scored here with plain arithmetic: nothing is unpickled, ever.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from policydesk.customers.models import RiskProfile
from policydesk.policies.models import Channel as SalesChannel
from policydesk.policies.models import (
    CollectionAttempt,
    PaymentMethod,
    PaymentMode,
    Policy,
    PolicyStatusChange,
    ProductLine,
)

NUMERIC = ("months_in_force", "failed_debits", "premium_to_income", "age")
CATEGORICAL: dict[str, Sequence[str]] = {
    "payment_mode": PaymentMode.values,
    "payment_method": PaymentMethod.values,
    "line": ProductLine.values,
    "channel": SalesChannel.values,
}
EXCLUDED_STATUSES = ("applied", "underwriting", "declined", "withdrawn", "cancelled_cooling_off")
# Midpoints of the income bands, for customers without a risk profile (CNY a year).
BAND_INCOME = {
    "lt50k": 36000,
    "50k-100k": 75000,
    "100k-300k": 180000,
    "300k-1m": 500000,
    "gt1m": 1500000,
    "unknown": 80000,
}
PERIODS_PER_YEAR = {"single": 0, "annual": 1, "semi_annual": 2, "quarterly": 4, "monthly": 12}
CALIBRATION_BINS = 10


def feature_names() -> list[str]:
    names = list(NUMERIC)
    for prefix, values in CATEGORICAL.items():
        names.extend(f"{prefix}:{value}" for value in values)
    return names


@dataclass
class History:
    policy_ids: list[int]
    rows: list[list[float]]
    labels: list[int]


def _incomes(customer_ids: Iterable[int]) -> dict[int, float]:
    incomes: dict[int, float] = {}
    wanted = set(customer_ids)
    profiles = RiskProfile.objects.order_by("customer_id", "-assessed_on", "-id").values_list(
        "customer_id", "annual_income"
    )
    for customer_id, income in profiles.iterator(chunk_size=5000):
        if customer_id in wanted and customer_id not in incomes:
            incomes[customer_id] = float(income)
    return incomes


def policy_history(*, as_of: dt.date, policy_ids: Sequence[int] | None = None) -> History:
    """One row of features per issued policy, and whether it ever lapsed or was surrendered."""
    failed = (
        CollectionAttempt.objects.filter(premium__policy=OuterRef("pk"), method="auto_debit")
        .exclude(result="success")
        .values("premium__policy")
        .annotate(n=Count("id"))
        .values("n")
    )
    ended = PolicyStatusChange.objects.filter(
        policy=OuterRef("pk"), to_status__in=("lapsed", "surrendered")
    )
    policies = Policy.objects.filter(issue_date__isnull=False).exclude(status__in=EXCLUDED_STATUSES)
    if policy_ids is not None:
        policies = policies.filter(pk__in=list(policy_ids))
    values = policies.annotate(
        failed_debits=Coalesce(Subquery(failed, output_field=IntegerField()), Value(0)),
        ended=Exists(ended),
    ).values_list(
        "pk",
        "payment_mode",
        "payment_method",
        "product__line",
        "channel",
        "issue_date",
        "premium",
        "policyholder_id",
        "policyholder__birth_date",
        "policyholder__income_band",
        "failed_debits",
        "ended",
    )
    fetched = list(values.order_by("pk"))
    incomes = _incomes(row[7] for row in fetched)
    names = feature_names()
    position = {name: index for index, name in enumerate(names)}
    history = History([], [], [])
    for (
        pk,
        mode,
        method,
        line,
        channel,
        issued,
        premium,
        holder,
        born,
        band,
        fails,
        gone,
    ) in fetched:
        row = [0.0] * len(names)
        row[0] = max(0.0, (as_of - issued).days / 30.44) if issued else 0.0
        row[1] = float(fails)
        income = incomes.get(holder) or BAND_INCOME.get(band, BAND_INCOME["unknown"])
        yearly = float(premium) * max(1, PERIODS_PER_YEAR.get(mode, 1))
        row[2] = min(5.0, yearly / income) if income else 0.0
        row[3] = ((as_of - born).days / 365.25) if born else 40.0
        for prefix, value in (
            ("payment_mode", mode),
            ("payment_method", method),
            ("line", line),
            ("channel", channel),
        ):
            index = position.get(f"{prefix}:{value}")
            if index is not None:
                row[index] = 1.0
        history.policy_ids.append(pk)
        history.rows.append(row)
        history.labels.append(1 if gone else 0)
    return history


@dataclass(frozen=True)
class Fitted:
    features: list[dict[str, Any]]
    intercept: float
    n_train: int
    n_test: int
    positive_rate: float
    auc: float | None
    brier: float | None
    calibration: list[dict[str, Any]]


def _is_test(policy_id: int) -> bool:
    # A fixed fifth of the book, by id, is held out for the back-test.
    return policy_id % 5 == 0


def fit(history: History) -> Fitted:
    """Train on four fifths of the history, back-test on the rest."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.metrics import brier_score_loss, roc_auc_score  # type: ignore[import-untyped]

    matrix = np.array(history.rows, dtype=float)
    labels = np.array(history.labels, dtype=int)
    test = np.array([_is_test(pk) for pk in history.policy_ids], dtype=bool)
    train = ~test
    if len(set(labels[train].tolist())) < 2:
        from django.utils.translation import gettext as _

        from policydesk.core.errors import DomainError

        raise DomainError(
            _(
                "The history needs both policies that lapsed or were surrendered and "
                "policies that stayed in force."
            ),
            field="history",
            code="monitoring_history_too_small",
        )
    means = matrix[train].mean(axis=0)
    scales = matrix[train].std(axis=0)
    scales[scales == 0] = 1.0
    standardised = (matrix - means) / scales
    model = LogisticRegression(max_iter=1000, C=1.0)
    model.fit(standardised[train], labels[train])
    coefficients = model.coef_[0]
    intercept = float(model.intercept_[0])
    auc: float | None = None
    brier: float | None = None
    calibration: list[dict[str, Any]] = []
    if test.any():
        predicted = model.predict_proba(standardised[test])[:, 1]
        observed = labels[test]
        if len(set(observed.tolist())) == 2:
            auc = float(roc_auc_score(observed, predicted))
        brier = float(brier_score_loss(observed, predicted))
        for index in range(CALIBRATION_BINS):
            low, high = index / CALIBRATION_BINS, (index + 1) / CALIBRATION_BINS
            upper = predicted <= high if index == CALIBRATION_BINS - 1 else predicted < high
            inside = (predicted >= low) & upper
            n = int(inside.sum())
            calibration.append(
                {
                    "bin": f"{low:.1f}–{high:.1f}",
                    "n": n,
                    "predicted": round(float(predicted[inside].mean()), 4) if n else None,
                    "observed": round(float(observed[inside].mean()), 4) if n else None,
                }
            )
    features = [
        {
            "name": name,
            "mean": float(means[index]),
            "scale": float(scales[index]),
            "coefficient": float(coefficients[index]),
        }
        for index, name in enumerate(feature_names())
    ]
    return Fitted(
        features=features,
        intercept=intercept,
        n_train=int(train.sum()),
        n_test=int(test.sum()),
        positive_rate=float(labels.mean()) if len(labels) else 0.0,
        auc=auc,
        brier=brier,
        calibration=calibration,
    )


def score_row(row: Sequence[float], features: list[dict[str, Any]], intercept: float) -> float:
    logit = intercept + sum(
        spec["coefficient"] * (value - spec["mean"]) / spec["scale"]
        for value, spec in zip(row, features, strict=True)
    )
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float
    contribution: float  # coefficient × standardised value; > 0 raises the risk


def explain_row(
    row: Sequence[float], features: list[dict[str, Any]], *, top: int = 3
) -> list[Contribution]:
    """The features that move this policy's score most, largest effect first."""
    contributions = [
        Contribution(
            feature=spec["name"],
            value=value,
            contribution=spec["coefficient"] * (value - spec["mean"]) / spec["scale"],
        )
        for value, spec in zip(row, features, strict=True)
    ]
    contributions.sort(key=lambda c: abs(c.contribution), reverse=True)
    return contributions[:top]
