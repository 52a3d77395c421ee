"""Contacts as the source systems recorded them (phone defects included), consents,
do-not-call entries and risk profiles.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .draws import Draws
from .people import Person
from .rows import Population

# --- Dials (probabilities), tied to the seed report (shared/seeds/004, DOMAIN.md §1) ---------
# Bancassurance holders with no phone at all: "中介的新单无电话件占比高".
BANCASSURANCE_NO_PHONE = 0.22
BROKER_NO_PHONE = 0.15
# At CCB (建行), where Xianyou's bancassurance is mostly issued, the phone must go into the
# office-phone field and the callback system prepends 0594: most such mobiles are unreachable.
OFFICE_FIELD_BANK_PREFIXED = 0.55
OFFICE_FIELD_BANK_UNPREFIXED = 0.30  # typed into the fixed-line field, no prefix (yet)
OTHER_BANK_PREFIXED = 0.06
OTHER_BANK_UNPREFIXED = 0.10
# Agency business: the salesperson writes their own phone on the form.
AGENT_OWN_PHONE = 0.05
PHONE_TYPO_INVALID_LENGTH = 0.02
PHONE_INVALID_NUMBER = 0.01
VILLAGE_SHARED_PHONE = 0.02  # rural customers giving the village shop's / committee's phone
# Legacy direct-sales customers with a pre-upgrade 6-digit landline.
LEGACY_SHORT_LANDLINE = 0.15


class Contacts(Draws):
    def contacts(self, people: list[Person], out: Population) -> None:
        """Phones as the source system recorded them, defects included, and addresses."""
        household_mobiles: list[str] = []
        for p in people:
            number = p.row["number"]
            out.contacts.append(
                {
                    "customer": number,
                    "kind": "address",
                    "phone_type": "",
                    "raw": p.address,
                    "is_primary": True,
                    "source": p.row["source_system"] or "counter",
                }
            )
            if p.age < 16:
                continue
            if p.age >= 75 and household_mobiles and self.chance(0.4):
                continue  # uses a son's or daughter's phone: added below, same household
            phones = self.phones_of(p)
            for i, (raw, kind, source) in enumerate(phones):
                out.contacts.append(
                    {
                        "customer": number,
                        "kind": "phone",
                        "phone_type": kind,
                        "raw": raw,
                        "is_primary": i == 0,
                        "source": source,
                    }
                )
            if p.mobile:
                household_mobiles.append(p.mobile)
        for p in people:
            if p.age >= 75 and household_mobiles and not p.mobile and not p.landline:
                raw = self.pick(household_mobiles)
                out.contacts.append(
                    {
                        "customer": p.row["number"],
                        "kind": "phone",
                        "phone_type": "mobile",
                        "raw": raw,
                        "is_primary": True,
                        "source": "counter",
                    }
                )

    def phones_of(self, p: Person) -> list[tuple[str, str, str]]:
        channel = p.first_channel
        source = p.row["source_system"] or "counter"
        bank = p.intermediary
        if channel == "bancassurance" and self.chance(BANCASSURANCE_NO_PHONE):
            return []
        if channel == "broker" and self.chance(BROKER_NO_PHONE):
            return []
        phones: list[tuple[str, str, str]] = []
        if (p.rural and self.chance(0.25)) or (p.age >= 65 and self.chance(0.4)):
            p.landline = self.landline(p.area)
        wants_mobile = not (p.age >= 70 and p.landline and self.chance(0.5))
        if wants_mobile:
            p.mobile = self.mobile()
        if channel == "bancassurance" and bank is not None and p.mobile:
            prefixed, unprefixed = (
                (OFFICE_FIELD_BANK_PREFIXED, OFFICE_FIELD_BANK_UNPREFIXED)
                if bank.office_field_only
                else (OTHER_BANK_PREFIXED, OTHER_BANK_UNPREFIXED)
            )
            roll = self.rng.random()
            if roll < prefixed:  # office-phone field, then 0594 prepended
                return [("0594" + p.mobile, "fixed_line", source)]
            if roll < prefixed + unprefixed:
                return [(p.mobile, "fixed_line", source)]
        if channel == "agency" and p.agent is not None and self.chance(AGENT_OWN_PHONE):
            agent = self.pick(self.sloppy_agents[p.row["branch"]])
            return [(agent["phone_e164"].removeprefix("+86"), "mobile", source)]
        if p.mobile:
            raw = p.mobile
            roll = self.rng.random()
            if roll < PHONE_TYPO_INVALID_LENGTH:  # a digit dropped or doubled
                raw = raw[:-1] if self.chance(0.5) else raw + raw[-1]
            elif roll < PHONE_TYPO_INVALID_LENGTH + PHONE_INVALID_NUMBER:
                raw = "12" + raw[2:]  # no such mobile range
            phones.append((raw, "mobile", source))
        if p.landline:
            raw = p.landline
            if channel == "direct" and self.chance(LEGACY_SHORT_LANDLINE):
                raw = raw[:5] + raw[6:]  # pre-upgrade 6-digit local number
            phones.append((raw, "fixed_line", source))
        if p.rural and self.chance(VILLAGE_SHARED_PHONE):
            town = p.address[:12]
            shared = self.village_phones.get(town) or self.village_phones.setdefault(
                town, self.landline(p.area)
            )
            phones.append((shared, "fixed_line", "counter"))
        return phones

    def consents(self, people: list[Person], out: Population) -> None:
        a = self.as_of
        for p in people:
            if p.age < 18:
                continue
            number = p.row["number"]
            start: dt.datetime = p.row["created_at"]
            base = {"customer": number, "source": "投保书 application form", "evidence": ""}
            out.consents.append(
                {
                    **base,
                    "purpose": "service",
                    "channel": "any",
                    "granted": True,
                    "recorded_at": start,
                }
            )
            if p.row["source_system"] and self.chance(0.9):
                out.consents.append(
                    {
                        **base,
                        "purpose": "sensitive_data",
                        "channel": "any",
                        "granted": True,
                        "recorded_at": start,
                    }
                )
            if self.chance(0.35):
                channels = ["phone", "sms"] + (["app"] if p.age < 50 else [])
                for channel in channels:
                    out.consents.append(
                        {
                            **base,
                            "purpose": "marketing",
                            "channel": channel,
                            "granted": True,
                            "recorded_at": start,
                        }
                    )
                if self.chance(0.25):  # withdrawn later: a new row, history kept
                    later = start + dt.timedelta(days=self.rng.randint(30, 900))
                    if later.date() < a:
                        out.consents.append(
                            {
                                "customer": number,
                                "purpose": "marketing",
                                "channel": self.pick(channels),
                                "granted": False,
                                "source": "95519热线 hotline",
                                "evidence": "",
                                "recorded_at": later,
                            }
                        )
            if p.mobile and self.chance(0.015):
                starts = self.days_ago(0, 300)
                out.do_not_call.append(
                    {
                        "customer": number,
                        "e164": "+86" + p.mobile,
                        "reason": "拒绝电话营销 (refused a sales call)",
                        "starts_on": starts,
                        "ends_on": None if self.chance(0.1) else starts + dt.timedelta(days=183),
                    }
                )
            if p.first_channel in ("agency", "broker") and 25 <= p.age < 65 and self.chance(0.3):
                income = {
                    "lt50k": 40000,
                    "50k-100k": 80000,
                    "100k-300k": 180000,
                    "300k-1m": 500000,
                    "gt1m": 1500000,
                }.get(p.row["income_band"], 60000)
                out.risk_profiles.append(
                    {
                        "customer": number,
                        "annual_income": Decimal(income),
                        "dependants": p.row["dependants"],
                        "liabilities": p.row["liabilities"],
                        "assets": Decimal(self.rng.randrange(0, 60) * 10000),
                        "existing_cover_elsewhere": Decimal(self.pick([0, 0, 100000, 300000])),
                        "risk_appetite": self.pick(
                            ["conservative", "balanced", "growth"], [55, 35, 10]
                        ),
                        "assessed_on": start.date(),
                        "notes": "",
                    }
                )
