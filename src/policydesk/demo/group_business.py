"""Group business: employers and their one-year group policies over recent working adults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .dates import add_years, office_hours
from .people import People
from .rows import POLICY_PREFIX, Population, to_money


class GroupBusiness(People):
    def employer(self, out: Population) -> None:
        branch = self.pick_key({k: float(v) for k, v in self.data.branch_weights.items()})
        area = self.pick([a for a in self.data.areas if a.branch == branch])
        address, _rural = self.address(area)
        name = self.pick(self.data.employers) + self.pick(self.data.employer_suffixes)
        number = self.next_number()
        code = f"91{area.id_area}MA{self.rng.randrange(16**8):08X}"
        out.customers.append(
            {
                "number": number,
                "kind": "organisation",
                "branch": branch,
                "name": name,
                "name_latin": "",
                "id_type": "business_licence",
                "id_number": code,
                "birth_date": None,
                "gender": "U",
                "occupation": "",
                "income_band": "unknown",
                "dependants": 0,
                "liabilities": Decimal(0),
                "segment": "corporate",
                "preferred_language": "mandarin",
                "dialect": "",
                "vulnerability_flags": [],
                "household": None,
                "source_system": "group-batch",
                "created_at": office_hours(
                    self.as_of - dt.timedelta(days=self.rng.randint(400, 3000))
                ),
            }
        )
        out.contacts.append(
            {
                "customer": number,
                "kind": "address",
                "phone_type": "",
                "raw": address,
                "is_primary": True,
                "source": "group-batch",
            }
        )
        out.contacts.append(
            {
                "customer": number,
                "kind": "phone",
                "phone_type": "fixed_line",
                "raw": self.landline(area),
                "is_primary": True,
                "source": "group-batch",
            }
        )
        out.consents.append(
            {
                "customer": number,
                "purpose": "service",
                "channel": "any",
                "granted": True,
                "source": "团体投保书 group application",
                "evidence": "",
                "recorded_at": out.customers[-1]["created_at"],
            }
        )
        product = self.products[self.pick(["PD-GA01", "PD-GM01"])]
        members = list(self.workers)[-self.rng.randint(5, 25) :]
        years = [0, 1] if self.chance(0.5) else [0]
        for years_back in years:
            self.policy_seq += 1
            policy = f"{POLICY_PREFIX}{self.policy_seq:09d}"
            issue = self.days_ago(0, 300) - dt.timedelta(days=365 * years_back)
            status = "in_force" if years_back == 0 else "matured"
            low, high = product.sum_assured
            sum_assured = Decimal(self.rng.randint(low // 1000, high // 1000) * 1000)
            premium = to_money(float(sum_assured) * product.premium_rate * max(1, len(members)))
            end = add_years(issue, 1)
            out.policies.append(
                {
                    "number": policy,
                    "product": product.code,
                    "branch": branch,
                    "policyholder": number,
                    "channel": "group",
                    "agent": self.pick(self.agents_by_branch[branch])["code"],
                    "intermediary": None,
                    "source_system": "group-batch",
                    "jurisdiction": "CN",
                    "status": status,
                    "term_years": 1,
                    "sum_assured": sum_assured,
                    "premium": premium,
                    "payment_mode": "annual",
                    "payment_method": "bank_transfer",
                    "application_date": issue - dt.timedelta(days=3),
                    "issue_date": issue,
                    "receipt_signed_date": issue,
                    "cooling_off_end": None,
                    "paid_to_date": end,
                    "next_due_date": None,
                }
            )
            history = [
                ("", "applied", issue - dt.timedelta(days=3)),
                ("applied", "issued", issue),
                ("issued", "in_force", issue),
            ]
            if status == "matured":
                history.append(("in_force", "matured", end))
            for before, after, day in history:
                out.status_changes.append(
                    {
                        "policy": policy,
                        "from_status": before,
                        "to_status": after,
                        "changed_on": day,
                        "reason": "",
                    }
                )
            out.premiums.append(
                {
                    "policy": policy,
                    "due_date": issue,
                    "amount": premium,
                    "status": "paid",
                    "paid_on": issue,
                    "is_first_premium": True,
                }
            )
            for member in members:
                out.parties.append(
                    {
                        "policy": policy,
                        "customer": member,
                        "role": "insured",
                        "share": None,
                        "relation_to_insured": "",
                    }
                )
