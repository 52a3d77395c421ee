"""Individual policies: channel and product choice, parties, beneficiaries, dates and status
history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .dates import MODE_DIVISOR, MODE_MONTHS, add_months, add_years, office_hours
from .money import Money
from .names import IntermediarySpec, ProductSpec
from .people import Person
from .rows import POLICY_PREFIX, Population, Row, to_money

# --- Dials (probabilities), tied to the seed report (shared/seeds/004, DOMAIN.md §1) ---------
MONTHLY_TO_ANNUAL_CONVERTED = 0.25  # old direct-sales business already converted (月交改年交)

CHANNEL_WEIGHTS = {"agency": 52, "bancassurance": 25, "broker": 5, "direct": 18}
LONG_STATUS_WEIGHTS = {
    "applied": 1.5,
    "underwriting": 1.5,
    "issued": 2.5,
    "in_force": 48.0,
    "in_grace": 4.0,
    "lapsed": 6.0,
    "reinstated": 2.0,
    "cancelled_cooling_off": 1.5,
    "surrendered": 8.0,
    "matured": 9.0,
    "claim_terminated": 2.0,
    "declined": 1.5,
    "withdrawn": 2.5,
}
SHORT_STATUS_WEIGHTS = {
    "applied": 1.0,
    "underwriting": 0.5,
    "in_force": 55.0,
    "matured": 36.0,
    "claim_terminated": 3.0,
    "declined": 1.0,
    "withdrawn": 2.5,
}
LEGACY_STATUS_WEIGHTS = {
    "in_force": 40.0,
    "in_grace": 5.0,
    "lapsed": 12.0,
    "reinstated": 3.0,
    "surrendered": 10.0,
    "matured": 25.0,
    "claim_terminated": 5.0,
}
PERIODIC_STATUSES = {"in_grace", "lapsed", "reinstated"}
WITHDRAWAL_REASONS = (
    "客户不愿缴纳保费，限时撤单",
    "初审不合格，资料不全",
    "未按时体检",
)


class Policies(Money):
    def channel_for(self, holder: Person) -> str:
        weights = dict(CHANNEL_WEIGHTS)
        if holder.age < 50:
            weights["direct"] = 4  # old direct-sales business belongs to older customers
        if holder.age >= 45:
            weights["bancassurance"] += 10  # 银邮 savings-type business
        return self.pick_key({k: float(v) for k, v in weights.items()})

    def product_for(self, channel: str, holder: Person, household: list[Person]) -> ProductSpec:
        candidates = [p for p in self.data.products if channel in p.channels]
        if channel == "direct" and holder.age >= 50:
            legacy = [p for p in candidates if p.legacy]
            if legacy and self.chance(0.75):
                return self.pick(legacy)
        if not any(p.age < 22 for p in household):
            candidates = [p for p in candidates if p.code != "PD-XP01"] or candidates
        if holder.age >= 60:
            candidates = [
                p for p in candidates if p.line not in ("critical_illness",)
            ] or candidates
        return self.pick(candidates)

    def holdings(self, people: list[Person], out: Population) -> None:
        for holder in people:
            if holder.age < 18:
                continue
            holds = 0.3 if holder.age < 25 else 0.55 if holder.age >= 65 else 0.8
            if not self.chance(holds):
                continue
            for index in range(self.pick([1, 2, 3], [60, 28, 12])):
                channel = self.channel_for(holder)
                product = self.product_for(channel, holder, people)
                self.policy(holder, people, product, channel, out, first=index == 0)

    def insured_for(self, holder: Person, product: ProductSpec, people: list[Person]) -> Person:
        if product.code == "PD-XP01":
            young = [p for p in people if p.age < 22]
            if young:
                return self.pick(young)
        if holder.children and self.chance(0.2):
            return self.pick(holder.children)
        if holder.spouse and self.chance(0.15):
            return holder.spouse
        return holder

    def policy(
        self,
        holder: Person,
        people: list[Person],
        product: ProductSpec,
        channel: str,
        out: Population,
        *,
        first: bool,
    ) -> None:
        rng = self.rng
        branch = holder.row["branch"]
        intermediary: IntermediarySpec | None = None
        agent: Row | None = None
        if channel == "bancassurance":
            banks = [i for i in self.data.intermediaries if i.kind == "bank"]
            if branch == "xy":  # "仙游目前银保通出单大多都是在建行出单"
                intermediary = self.pick(
                    banks, [i.weight * (3 if i.office_field_only else 1) for i in banks]
                )
            else:
                intermediary = self.pick(banks, [i.weight for i in banks])
        elif channel == "broker":
            brokers = [i for i in self.data.intermediaries if i.kind in ("broker", "agency")]
            intermediary = self.pick(brokers, [4, 1])
        elif channel == "agency":
            agent = self.pick(self.agents_by_branch[branch])
        if first:
            holder.first_channel, holder.intermediary, holder.agent = channel, intermediary, agent
        insured = self.insured_for(holder, product, people)
        term = self.pick(product.terms)
        mode = self.pick(product.modes)
        if product.legacy and self.chance(MONTHLY_TO_ANNUAL_CONVERTED):
            mode = "annual"  # converted at an anniversary (月交改年交)
        statuses = (
            LEGACY_STATUS_WEIGHTS
            if product.legacy
            else LONG_STATUS_WEIGHTS
            if product.term == "long"
            else SHORT_STATUS_WEIGHTS
        )
        status = self.pick_key(statuses)
        if status in PERIODIC_STATUSES and mode == "single":
            status = "in_force"
        if status == "matured" and term > 30:
            status = "claim_terminated"  # whole life ends by a claim, not by maturity
        low, high = product.sum_assured
        sum_assured = Decimal(rng.randint(low // 1000, high // 1000) * 1000)
        annual = float(sum_assured) * product.premium_rate
        premium = to_money(annual / MODE_DIVISOR[mode]) if mode != "single" else to_money(annual)
        self.policy_seq += 1
        number = f"{POLICY_PREFIX}{self.policy_seq:09d}"
        row: Row = {
            "number": number,
            "product": product.code,
            "branch": branch,
            "policyholder": holder.row["number"],
            "channel": channel,
            "agent": agent["code"] if agent else None,
            "intermediary": intermediary.code if intermediary else None,
            "source_system": "legacy-direct"
            if product.legacy
            else "bank-link"
            if channel == "bancassurance"
            else "short-card"
            if product.card
            else "v8",
            "jurisdiction": "CN",
            "status": status,
            "term_years": term,
            "sum_assured": sum_assured,
            "premium": premium,
            "payment_mode": mode,
            "payment_method": self.payment_method(channel, product, mode),
        }
        self.lifecycle(row, product, out)
        out.policies.append(row)
        out.parties.append(
            {
                "policy": number,
                "customer": insured.row["number"],
                "role": "insured",
                "share": None,
                "relation_to_insured": "",
            }
        )
        self.beneficiaries(row, product, holder, insured, people, out)
        self.money(row, product, holder, out)
        created = office_hours(row["application_date"])
        for p in {holder.row["number"]: holder, insured.row["number"]: insured}.values():
            p.row["created_at"] = min(p.row["created_at"], created)
            if not p.row["source_system"]:
                p.row["source_system"] = row["source_system"]

    def payment_method(self, channel: str, product: ProductSpec, mode: str) -> str:
        if channel in ("bancassurance", "group"):
            return "auto_debit" if mode != "single" else "bank_transfer"
        if product.legacy:
            return self.pick(["cash", "auto_debit"], [55, 45])
        if mode == "single":
            return self.pick(["bank_transfer", "cash"], [70, 30])
        return self.pick(["auto_debit", "cash", "bank_transfer"], [75, 15, 10])

    def lifecycle(self, row: Row, product: ProductSpec, out: Population) -> None:
        """Dates and status history consistent with the status chosen."""
        rng, a = self.rng, self.as_of
        status, term = row["status"], row["term_years"]
        cooling = 15 if product.term == "long" else 0
        changes: list[tuple[str, dt.date, str]] = []
        term_days = term * 365
        issue: dt.date | None = None
        end: dt.date | None = None  # terminal or status date
        if status == "applied":
            application = self.days_ago(0, 25)
        elif status == "underwriting":
            application = self.days_ago(2, 40)
        elif status in ("declined", "withdrawn"):
            application = self.days_ago(45, 900)
        else:
            if product.legacy:
                oldest, newest = 365 * 30, 365 * 13
            elif product.term == "short":
                oldest, newest = 364, 0
            else:
                oldest, newest = min(term_days, 365 * 15), cooling + 20
            if status == "issued":
                oldest, newest = 12, 0
            elif status == "in_force":
                oldest = min(oldest, term_days - 30)
            elif status == "matured":
                newest, oldest = term_days + 1, term_days + 1500
            elif status == "cancelled_cooling_off":
                oldest, newest = 1000, 30
            elif status in ("in_grace", "lapsed", "reinstated", "surrendered", "claim_terminated"):
                newest = max(newest, 400)
                oldest = max(newest, min(oldest, term_days - 60))
            if oldest < newest:  # a legacy term too short to be still running
                row["status"] = status = "matured"
                newest, oldest = term_days + 1, term_days + 1500
            issue = self.days_ago(newest, oldest)
            period = MODE_MONTHS.get(row["payment_mode"], 0)
            if status == "in_grace" and period:
                # A premium fell due in the last 59 days and is unpaid: date the policy back
                # from that due date by whole payment periods.
                pay_months = 12 * (term if product.legacy else min(term, 20))
                low = max(1, -(-newest // 30) // period)
                high = max(low, min(oldest // 31, pay_months - 1) // period)
                grace_due = self.days_ago(1, 59)
                issue = add_months(grace_due, -period * rng.randint(low, high))
                row["_grace_due"] = grace_due
            application = issue - dt.timedelta(days=rng.randint(2, 20))
        row["application_date"] = application
        changes.append(("applied", application, ""))
        if status in ("applied",):
            pass
        elif status == "declined":
            changes.append(("underwriting", application + dt.timedelta(days=2), ""))
            changes.append(
                ("declined", application + dt.timedelta(days=rng.randint(5, 25)), "核保拒保")
            )
        elif status == "withdrawn":
            if self.chance(0.5):
                changes.append(("underwriting", application + dt.timedelta(days=2), ""))
            changes.append(
                (
                    "withdrawn",
                    application + dt.timedelta(days=rng.randint(10, 45)),
                    self.pick(WITHDRAWAL_REASONS),
                )
            )
        elif status == "underwriting":
            changes.append(("underwriting", min(a, application + dt.timedelta(days=2)), ""))
        row["issue_date"] = issue
        row["receipt_signed_date"] = None
        row["cooling_off_end"] = None
        if issue is not None:
            if product.term == "long" and not product.legacy:
                changes.append(("underwriting", application + dt.timedelta(days=1), ""))
            receipt = min(a, issue + dt.timedelta(days=rng.randint(0, 3)))
            row["receipt_signed_date"] = receipt
            row["cooling_off_end"] = receipt + dt.timedelta(days=cooling) if cooling else None
            changes.append(("issued", issue, ""))
            in_force_on = receipt + dt.timedelta(days=cooling + 1)
            end = add_years(issue, term)
            if status == "cancelled_cooling_off":
                changes.append(
                    (
                        "cancelled_cooling_off",
                        receipt + dt.timedelta(days=rng.randint(1, 15)),
                        "犹豫期撤单",
                    )
                )
            elif status != "issued":
                changes.append(("in_force", min(in_force_on, a), ""))
        row["_changes"] = changes
        row["_end"] = end
        # Terminal and grace events need the premium schedule: see money().

    def beneficiaries(
        self,
        row: Row,
        product: ProductSpec,
        holder: Person,
        insured: Person,
        people: list[Person],
        out: Population,
    ) -> None:
        if product.line in ("medical", "health") or product.term == "short":
            return  # benefits go to the insured (or legal heirs for short-term accident)
        if self.chance(0.3):
            return  # legal heirs (法定受益人): no named beneficiary
        candidates = [p for p in people if p is not insured]
        if not candidates:
            return
        count = min(len(candidates), self.pick([1, 2, 3], [55, 35, 10]))
        chosen = self.rng.sample(candidates, count)
        shares = {
            1: ["100"],
            2: self.pick([["50", "50"], ["60", "40"], ["70", "30"]]),
            3: ["33.34", "33.33", "33.33"],
        }[count]
        for person, share in zip(chosen, shares, strict=True):
            relation = (
                "spouse"
                if person is insured.spouse or insured is person.spouse
                else "child"
                if person in insured.children
                else "parent"
                if insured in person.children
                else "other"
            )
            out.parties.append(
                {
                    "policy": row["number"],
                    "customer": person.row["number"],
                    "role": "beneficiary",
                    "share": Decimal(share),
                    "relation_to_insured": relation,
                }
            )
