"""Disbursements: survival benefits, maturities, claims, surrenders and cooling-off refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .dates import MODE_DIVISOR, add_years
from .draws import Draws
from .names import ProductSpec
from .rows import Population, Row

# --- Dials (probabilities), tied to the seed report (shared/seeds/004, DOMAIN.md §1) ---------
# Survival benefit by transfer is low (生存金代付率较低): dormant accounts, see money.py.
PAYOUT_BY_TRANSFER_CHOICE = 0.6  # holders with an account who ask for transfer
DORMANT_REASONS = (
    "存折多年未用，账户处于睡眠状态，无法代付",  # dormant passbook
    "早期建行卡号已停用，无法代付",  # outdated early CCB card number
)


class Payouts(Draws):
    def payouts(
        self,
        row: Row,
        product: ProductSpec,
        mandate: Row | None,
        issue: dt.date | None,
        end: dt.date | None,
        terminal: tuple[str, dt.date, str] | None,
        out: Population,
    ) -> None:
        if issue is None or end is None:
            return
        rng, a = self.rng, self.as_of
        number, sum_assured, status = row["number"], row["sum_assured"], row["status"]
        usable = mandate is not None and mandate["status"] in ("active", "pending", "missing")
        wants_transfer = usable and self.chance(PAYOUT_BY_TRANSFER_CHOICE)

        def pay(kind: str, due: dt.date, amount: Decimal, *, latest: bool) -> None:
            if due > a:
                method = "bank_transfer" if wants_transfer else "cash"
                out.disbursements.append(
                    {
                        "policy": number,
                        "kind": kind,
                        "due_date": due,
                        "amount": amount,
                        "method": method,
                        "status": "scheduled",
                        "paid_on": None,
                        "failure_reason": "",
                    }
                )
                return
            if wants_transfer and mandate is not None and mandate["is_dormant"]:
                if latest:  # the transfer bounced; the customer has not come for cash yet
                    out.disbursements.append(
                        {
                            "policy": number,
                            "kind": kind,
                            "due_date": due,
                            "amount": amount,
                            "method": "bank_transfer",
                            "status": "failed",
                            "paid_on": None,
                            "failure_reason": self.pick(DORMANT_REASONS),
                        }
                    )
                    return
                method = "cash"  # an earlier bounce, collected in cash at the counter
            else:
                method = "bank_transfer" if wants_transfer else "cash"
            delay = rng.randint(0, 5) if method == "bank_transfer" else rng.randint(0, 90)
            paid_on = min(a, due + dt.timedelta(days=delay))
            out.disbursements.append(
                {
                    "policy": number,
                    "kind": kind,
                    "due_date": due,
                    "amount": amount,
                    "method": method,
                    "status": "paid",
                    "paid_on": paid_on,
                    "failure_reason": "",
                }
            )

        stop = terminal[1] if terminal else a + dt.timedelta(days=60)
        if product.survival_every and status not in ("cancelled_cooling_off",):
            dues = []
            k = product.survival_every
            while True:
                due = add_years(issue, k)
                if due > stop or due >= end:
                    break
                dues.append(due)
                k += product.survival_every
            rate = Decimal("0.05") if product.survival_every == 1 else Decimal("0.10")
            amount = (sum_assured * rate).quantize(Decimal("0.01"))
            for i, due in enumerate(dues[-3:]):
                pay("survival_benefit", due, amount, latest=i == len(dues[-3:]) - 1)
        if terminal is None:
            if status == "cancelled_cooling_off":
                refund_on = next(c for c in out.status_changes[::-1] if c["policy"] == number)[
                    "changed_on"
                ]
                out.disbursements.append(
                    {
                        "policy": number,
                        "kind": "refund",
                        "due_date": refund_on,
                        "amount": row["premium"],
                        "method": "bank_transfer" if usable else "cash",
                        "status": "paid",
                        "paid_on": min(a, refund_on + dt.timedelta(days=rng.randint(1, 10))),
                        "failure_reason": "",
                    }
                )
            return
        kind, day, _reason = terminal
        if kind == "matured" and product.maturity:
            bonus = Decimal("1.12") if product.line == "participating" else Decimal(1)
            pay(
                "maturity",
                day,
                (sum_assured * bonus).quantize(Decimal("0.01")),
                latest=day > a - dt.timedelta(days=400),
            )
        elif kind == "claim_terminated":
            payout = (
                sum_assured
                if product.term == "long"
                else (sum_assured * Decimal("0.3")).quantize(Decimal("0.01"))
            )
            out.disbursements.append(
                {
                    "policy": number,
                    "kind": "claim",
                    "due_date": day,
                    "amount": payout,
                    "method": "bank_transfer" if usable else "cash",
                    "status": "paid",
                    "paid_on": min(a, day + dt.timedelta(days=rng.randint(2, 25))),
                    "failure_reason": "",
                }
            )
        elif kind == "surrendered":
            years = max(1, (day - issue).days // 365)
            value = (
                row["premium"] * MODE_DIVISOR[row["payment_mode"]] * min(years, 20) * Decimal("0.7")
            )
            out.disbursements.append(
                {
                    "policy": number,
                    "kind": "surrender",
                    "due_date": day,
                    "amount": value.quantize(Decimal("0.01")),
                    "method": "bank_transfer" if usable else "cash",
                    "status": "paid",
                    "paid_on": min(a, day + dt.timedelta(days=rng.randint(1, 25))),
                    "failure_reason": "",
                }
            )
