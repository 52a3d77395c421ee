"""The needs arithmetic of the account review, on Decimal money."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from policydesk.monitoring import needs

D = Decimal
AFFLUENT = needs.assumptions_for("affluent")


def profile(**changes: object) -> needs.Profile:
    base = needs.Profile(
        annual_income=D("200000.00"),
        dependants=2,
        children=1,
        liabilities=D("800000.00"),
        assets=D("300000.00"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_life_need_is_income_times_years_plus_liabilities_minus_assets() -> None:
    # 200,000 × 15 + 800,000 − 300,000
    assert needs.life_need(profile(), AFFLUENT) == D("3500000.00")


def test_without_dependants_life_need_covers_only_the_debts() -> None:
    assert needs.life_need(profile(dependants=0), AFFLUENT) == D("500000.00")


def test_a_need_is_never_negative() -> None:
    rich = profile(dependants=0, assets=D("5000000.00"))
    assert needs.life_need(rich, AFFLUENT) == D("0.00")


def test_the_life_gap_subtracts_cover_with_us_and_elsewhere() -> None:
    lines = needs.needs_analysis(
        profile(),
        AFFLUENT,
        cover_with_us={"life": D("1000000.00")},
        cover_elsewhere={"life": D("500000.00")},
    )
    life = next(line for line in lines if line.category == "life")
    assert life.gap == D("2000000.00")


def test_more_cover_than_need_leaves_no_gap() -> None:
    lines = needs.needs_analysis(
        profile(), AFFLUENT, cover_with_us={"accident": D("9000000.00")}, cover_elsewhere={}
    )
    accident = next(line for line in lines if line.category == "accident")
    assert (accident.need, accident.gap) == (D("1600000.00"), D("0.00"))


def test_education_need_counts_the_children() -> None:
    assert needs.education_need(profile(children=2), AFFLUENT) == D("800000.00")


def test_retirement_need_is_replacement_of_income_over_the_retirement_years() -> None:
    # 200,000 × 0.60 × 20
    assert needs.retirement_need(profile(), AFFLUENT) == D("2400000.00")


def test_critical_illness_and_medical_follow_the_segment() -> None:
    assert needs.critical_illness_need(profile(), AFFLUENT) == D("1000000.00")
    assert needs.medical_need(profile(), needs.assumptions_for("hnw")) == D("3000000.00")


def test_every_category_is_analysed_in_order() -> None:
    lines = needs.needs_analysis(profile(), AFFLUENT, cover_with_us={}, cover_elsewhere={})
    assert [line.category for line in lines] == list(needs.CATEGORIES)


def test_cover_of_policies_is_summed_by_the_need_their_line_covers() -> None:
    cover = needs.cover_by_category(
        [
            ("life", D("100000.00")),
            ("participating", D("50000.00")),
            ("annuity", D("20000.00")),
            ("medical", D("10000.00")),
        ]
    )
    assert cover["life"] == D("150000.00")
    assert cover["retirement"] == D("20000.00")
    assert cover["medical"] == D("10000.00")
    assert cover["education"] == D("0.00")


def test_an_unknown_segment_uses_the_mass_assumptions() -> None:
    assert needs.assumptions_for("nonexistent") == needs.assumptions_for("mass")
