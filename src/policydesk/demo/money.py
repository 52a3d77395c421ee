"""Money in: bank mandates, the premium schedule and collection attempts (续期代扣); the status
history's grace, lapse and terminal events, which depend on that schedule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .dates import MODE_MONTHS, add_months, add_years, first_due_after, months_between
from .names import ProductSpec
from .payouts import Payouts
from .people import Person
from .rows import Population, Row

# --- Dials (probabilities), tied to the seed report (shared/seeds/004, DOMAIN.md §1) ---------
# Survival benefit by transfer is low (生存金代付率较低): dormant passbooks and old cards.
DORMANT_OLD_ACCOUNT = 0.45  # mandate older than 8 years with a holder aged 55+
DORMANT_OTHER_ACCOUNT = 0.04
# Renewal auto-debit (续期代扣) failures: insufficient funds, account upgraded, closed.
FIRST_DEBIT_FAILS = 0.12

PREMIUM_WINDOW = {"annual": 2, "semi_annual": 2, "quarterly": 4, "monthly": 6}  # recent dues kept
COLLECTION_CODES = {
    "success": "0000",
    "insufficient_funds": "E051",
    "account_changed": "E102",
    "account_closed": "E103",
    "mandate_missing": "E201",
    "other": "E999",
}
SURRENDER_REASONS = {
    "participating": "客户称销售误导、夸大分红收益",  # mis-selling, exaggerated returns
    "other": "缴费压力大，客户无力续缴",  # protection premiums unaffordable
}


class Money(Payouts):
    def money(self, row: Row, product: ProductSpec, holder: Person, out: Population) -> None:
        rng, a = self.rng, self.as_of
        status, mode, number = row["status"], row["payment_mode"], row["number"]
        changes: list[tuple[str, dt.date, str]] = row.pop("_changes")
        end: dt.date | None = row.pop("_end")
        chosen_grace_due: dt.date | None = row.pop("_grace_due", None)
        issue: dt.date | None = row["issue_date"]
        mandate: Row | None = None
        needs_account = row["payment_method"] in ("auto_debit", "bank_transfer") or (
            product.survival_every or product.maturity
        )
        if issue is not None and needs_account:
            bank, prefix, _weight = self.pick(self.data.banks, [b[2] for b in self.data.banks])
            if row["intermediary"]:
                spec = next(i for i in self.data.intermediaries if i.code == row["intermediary"])
                if spec.kind == "bank":
                    bank, prefix = spec.name, spec.account_prefix
            age_years = (a - issue).days / 365
            old = age_years > 8 and holder.age >= 55
            dormant = self.chance(DORMANT_OLD_ACCOUNT if old else DORMANT_OTHER_ACCOUNT)
            mandate_status = self.pick_key(
                {"active": 85, "missing": 5, "revoked": 3, "failed": 4, "pending": 3}
                if row["payment_method"] == "auto_debit"
                else {"active": 95, "revoked": 5}
            )
            if mandate_status == "pending" and (a - issue).days > 30:
                mandate_status = "active"
            passbook = old and self.chance(0.6)  # an old passbook (存折) rather than a card
            digits = 13 if passbook else 15
            mandate = {
                "policy": number,
                "bank_name": bank,
                "account": prefix + f"{rng.randrange(10**digits):0{digits}d}",
                "status": mandate_status,
                "is_dormant": dormant,
            }
            out.mandates.append(mandate)
        # The premium schedule, and where it stops.
        grace_due: dt.date | None = None
        reinstated_on: dt.date | None = None
        stop = a
        terminal: tuple[str, dt.date, str] | None = None
        paid_until_stop = True
        period = MODE_MONTHS.get(mode, 0)
        pay_years = row["term_years"] if product.legacy else min(row["term_years"], 20)
        pay_end = add_years(issue, pay_years) if issue else None
        if issue is not None and end is not None:
            if status in ("in_grace", "lapsed", "reinstated") and period:
                if status == "in_grace":
                    grace_due = chosen_grace_due
                else:
                    latest = a - dt.timedelta(days=70 if status == "reinstated" else 61)
                    earliest = max(issue + dt.timedelta(days=31), a - dt.timedelta(days=1400))
                    if earliest < latest:
                        pick = earliest + dt.timedelta(
                            days=rng.randint(0, (latest - earliest).days)
                        )
                        index = max(1, first_due_after(issue, period, pick))
                        grace_due = add_months(issue, index * period)
                        if grace_due + dt.timedelta(days=60) >= a or (
                            pay_end and grace_due >= pay_end
                        ):
                            grace_due = None
                if grace_due is None:
                    row["status"] = status = "in_force"
                elif status == "in_grace":
                    changes.append(("in_grace", grace_due + dt.timedelta(days=1), "续期保费未缴"))
                    stop = grace_due
                    paid_until_stop = False
                else:
                    lapse = grace_due + dt.timedelta(days=60)
                    changes.append(("in_grace", grace_due + dt.timedelta(days=1), "续期保费未缴"))
                    changes.append(("lapsed", lapse, "宽限期满未缴费"))
                    if status == "lapsed":
                        stop = grace_due
                        paid_until_stop = False
                    else:
                        reinstated_on = min(a, lapse + dt.timedelta(days=rng.randint(10, 700)))
                        changes.append(("reinstated", reinstated_on, "补缴保费复效"))
            if status == "surrendered":
                start = (row["cooling_off_end"] or issue) + dt.timedelta(days=30)
                when = start + dt.timedelta(days=rng.randint(0, max(0, (min(a, end) - start).days)))
                reason = SURRENDER_REASONS[
                    "participating" if product.line == "participating" else "other"
                ]
                terminal = ("surrendered", min(when, a), reason)
            elif status == "claim_terminated":
                start = issue + dt.timedelta(days=60)
                when = start + dt.timedelta(days=rng.randint(0, max(0, (min(a, end) - start).days)))
                terminal = ("claim_terminated", min(when, a), "理赔结案，保单终止")
            elif status == "matured":
                terminal = ("matured", end, "满期")
            if terminal:
                changes.append(terminal)
                stop = terminal[1]
        for (to_status, day, reason), previous in zip(
            changes, ["", *[c[0] for c in changes]], strict=False
        ):
            out.status_changes.append(
                {
                    "policy": number,
                    "from_status": previous,
                    "to_status": to_status,
                    "changed_on": day,
                    "reason": reason,
                }
            )
        row["paid_to_date"] = None
        row["next_due_date"] = None
        self.premiums(
            row,
            product,
            mandate,
            issue,
            stop,
            pay_end,
            grace_due,
            reinstated_on,
            paid_until_stop,
            out,
        )
        self.payouts(row, product, mandate, issue, end, terminal, out)

    def premiums(
        self,
        row: Row,
        product: ProductSpec,
        mandate: Row | None,
        issue: dt.date | None,
        stop: dt.date,
        pay_end: dt.date | None,
        grace_due: dt.date | None,
        reinstated_on: dt.date | None,
        paid_until_stop: bool,
        out: Population,
    ) -> None:
        rng, a = self.rng, self.as_of
        number, mode, amount = row["number"], row["payment_mode"], row["premium"]
        method = row["payment_method"]
        status = row["status"]
        if issue is None:
            if status in ("applied", "underwriting"):
                due = row["application_date"]
                paid = status == "underwriting" and self.chance(0.7)
                out.premiums.append(
                    {
                        "policy": number,
                        "due_date": due,
                        "amount": amount,
                        "status": "paid" if paid else "due",
                        "paid_on": due if paid else None,
                        "is_first_premium": True,
                    }
                )
                if not paid and method == "auto_debit" and self.chance(0.5):
                    self.attempt(number, due, due, method, amount, "insufficient_funds", out)
            return
        period = MODE_MONTHS.get(mode, 0)
        if not period:
            indices = [0]
            last_index = 0
        else:
            limit = min(stop, (pay_end - dt.timedelta(days=1)) if pay_end else stop)
            upcoming = limit == a and status not in ("surrendered", "matured", "claim_terminated")
            horizon = a + dt.timedelta(days=45) if upcoming else limit
            if pay_end:
                horizon = min(horizon, pay_end - dt.timedelta(days=1))
            last_index = months_between(issue, horizon) // period
            window = PREMIUM_WINDOW[mode]
            indices = sorted({0, *range(max(1, last_index - window + 1), last_index + 1)})
        for index in indices:
            due = add_months(issue, index * period) if period else issue
            if due > a:
                state, paid_on = "due", None
            elif grace_due is not None and due == grace_due and not paid_until_stop:
                state, paid_on = "overdue", None
            elif reinstated_on is not None and due == grace_due:
                state, paid_on = "paid", reinstated_on
            else:
                state, paid_on = "paid", due
            first = index == 0
            if (
                state == "paid"
                and method == "auto_debit"
                and (mandate is None or mandate["status"] == "missing")
            ):
                # No authorisation on file: the bank refuses, the customer pays at the counter.
                self.attempt(number, due, due, "auto_debit", amount, "mandate_missing", out)
                paid_on = min(a, due + dt.timedelta(days=rng.randint(3, 30)))
                self.attempt(number, due, paid_on, "cash", amount, "success", out)
            elif state == "paid" and method == "auto_debit":
                if reinstated_on is not None and due == grace_due:
                    self.attempt(number, due, due, method, amount, self.failure(mandate), out)
                    self.attempt(number, due, reinstated_on, "cash", amount, "success", out)
                elif (a - due).days > 20 and self.chance(FIRST_DEBIT_FAILS):
                    self.attempt(number, due, due, method, amount, "insufficient_funds", out)
                    paid_on = due + dt.timedelta(days=rng.randint(3, 20))
                    self.attempt(number, due, paid_on, method, amount, "success", out)
                else:
                    self.attempt(number, due, due, method, amount, "success", out)
            elif state == "overdue" and method == "auto_debit":
                for offset in (0, 10, 20)[: rng.randint(1, 3)]:
                    day = due + dt.timedelta(days=offset)
                    if day <= a:
                        self.attempt(number, due, day, method, amount, self.failure(mandate), out)
            out.premiums.append(
                {
                    "policy": number,
                    "due_date": due,
                    "amount": amount,
                    "status": state,
                    "paid_on": paid_on if state == "paid" else None,
                    "is_first_premium": first,
                }
            )
        if period and issue:
            unpaid = [p for p in out.premiums[-len(indices) :] if p["status"] != "paid"]
            if unpaid:
                row["next_due_date"] = unpaid[0]["due_date"]
                row["paid_to_date"] = unpaid[0]["due_date"]
            elif row["status"] not in (
                "surrendered",
                "matured",
                "claim_terminated",
                "cancelled_cooling_off",
            ):
                nxt = add_months(issue, (last_index + 1) * period)
                if pay_end is None or nxt < pay_end:
                    row["next_due_date"] = nxt
                row["paid_to_date"] = nxt
            else:
                row["paid_to_date"] = stop
        else:
            row["paid_to_date"] = add_years(issue, row["term_years"]) if issue else None

    def failure(self, mandate: Row | None) -> str:
        if mandate is None or mandate["status"] == "missing":
            return "mandate_missing"
        if mandate["is_dormant"] or mandate["status"] in ("failed", "revoked"):
            return self.pick(["account_closed", "account_changed"], [40, 60])
        return self.pick_key(
            {"insufficient_funds": 50, "account_changed": 35, "account_closed": 10, "other": 5}
        )

    def attempt(
        self,
        number: str,
        due: dt.date,
        day: dt.date,
        method: str,
        amount: Decimal,
        result: str,
        out: Population,
    ) -> None:
        out.attempts.append(
            {
                "policy": number,
                "due_date": due,
                "attempted_on": day,
                "method": method,
                "amount": amount,
                "result": result,
                "bank_code": COLLECTION_CODES[result] if method == "auto_debit" else "",
            }
        )
