"""The demo population: a deterministic, believable book of the Putian city branch (莆田) and
its county branches (仙游 xy, the seed branch; 荔城 lc), with the defects of shared/seeds/004.

`generate(seed, customers)` is a pure function: the same seed, size and reference date give
the same rows (plain dicts keyed by business keys: customer and policy numbers, product and
agent codes, branch and language codes). `load_population` (load_population.py) writes them.
Generation streams in chunks (`iter_population`) so a large book never sits in memory at once;
the stream does not depend on the chunk size, so the chunks concatenate to `generate`.

The shares below are the dials of the seed report's problems; each constant says which.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVar

from policydesk.customers.identity import resident_id_check_digit

from .names import Area, IntermediarySpec, ProductSpec, latin_name, population_data

Row = dict[str, Any]
T = TypeVar("T")

CUSTOMER_PREFIX = "DEMO-"  # marks the demo population (and keeps loading idempotent)
POLICY_PREFIX = "DEMO-P"
AGENT_PREFIX = "DEMO-AG-"
# A fixed reference date makes `generate` pure; the loader passes today's date so issued
# policies are really in cooling-off and premiums really due.
DEFAULT_AS_OF = dt.date(2025, 10, 31)  # the seed report's "year to 31 October"

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
SLOPPY_AGENT_SHARE = 0.15  # agents who do that
PHONE_TYPO_INVALID_LENGTH = 0.02
PHONE_INVALID_NUMBER = 0.01
VILLAGE_SHARED_PHONE = 0.02  # rural customers giving the village shop's / committee's phone
# Legacy direct-sales customers with a pre-upgrade 6-digit landline.
LEGACY_SHORT_LANDLINE = 0.15
# Dialect-only customers (莆仙话): "很多投保人只听得懂方言", mostly elderly and rural.
DIALECT_ONLY = {"elderly_rural": 0.55, "elderly_urban": 0.25, "older_rural": 0.15, "other": 0.01}
# Survival benefit by transfer is low (生存金代付率较低): dormant passbooks and old cards.
DORMANT_OLD_ACCOUNT = 0.45  # mandate older than 8 years with a holder aged 55+
DORMANT_OTHER_ACCOUNT = 0.04
PAYOUT_BY_TRANSFER_CHOICE = 0.6  # holders with an account who ask for transfer
# Renewal auto-debit (续期代扣) failures: insufficient funds, account upgraded, closed.
FIRST_DEBIT_FAILS = 0.12
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
MODE_MONTHS = {"annual": 12, "semi_annual": 6, "quarterly": 3, "monthly": 1}
MODE_DIVISOR = {"single": 1, "annual": 1, "semi_annual": 2, "quarterly": 4, "monthly": 12}
PREMIUM_WINDOW = {"annual": 2, "semi_annual": 2, "quarterly": 4, "monthly": 6}  # recent dues kept
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    *(f"18{d}" for d in range(10)),
    "176",
    "177",
    "198",
    "199",
)
COLLECTION_CODES = {
    "success": "0000",
    "insufficient_funds": "E051",
    "account_changed": "E102",
    "account_closed": "E103",
    "mandate_missing": "E201",
    "other": "E999",
}
DORMANT_REASONS = (
    "存折多年未用，账户处于睡眠状态，无法代付",  # dormant passbook
    "早期建行卡号已停用，无法代付",  # outdated early CCB card number
)
SURRENDER_REASONS = {
    "participating": "客户称销售误导、夸大分红收益",  # mis-selling, exaggerated returns
    "other": "缴费压力大，客户无力续缴",  # protection premiums unaffordable
}
WITHDRAWAL_REASONS = (
    "客户不愿缴纳保费，限时撤单",
    "初审不合格，资料不全",
    "未按时体检",
)


@dataclass
class Population:
    """Rows to write, as plain dicts; references are business keys, not database ids."""

    products: list[Row] = field(default_factory=list)
    intermediaries: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    relations: list[Row] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)
    do_not_call: list[Row] = field(default_factory=list)
    risk_profiles: list[Row] = field(default_factory=list)
    policies: list[Row] = field(default_factory=list)
    parties: list[Row] = field(default_factory=list)
    status_changes: list[Row] = field(default_factory=list)
    mandates: list[Row] = field(default_factory=list)
    premiums: list[Row] = field(default_factory=list)
    attempts: list[Row] = field(default_factory=list)
    disbursements: list[Row] = field(default_factory=list)

    def extend(self, other: Population) -> None:
        for f in fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _at(day: dt.date) -> dt.datetime:
    """A date as an aware UTC time during Beijing office hours (10:00 local)."""
    return dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)


def _money(value: float) -> Decimal:
    return Decimal(f"{max(value, 0.01):.2f}")


@dataclass
class Person:
    row: Row
    age: int
    rural: bool
    area: Area
    address: str
    landline: str = ""
    mobile: str = ""
    children: list[Person] = field(default_factory=list)
    spouse: Person | None = None
    first_channel: str = ""
    intermediary: IntermediarySpec | None = None
    agent: Row | None = None


class _Generator:
    def __init__(self, seed: int, customers: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
        self.total = customers
        self.as_of = as_of
        self.data = population_data()
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.customer_seq = 0
        self.policy_seq = 0
        self.household_seq = 0
        self.persons_since_employer = 0
        self.workers: deque[str] = deque(maxlen=200)  # recent working-age adults, for groups
        self.agents_by_branch: dict[str, list[Row]] = {}
        self.sloppy_agents: dict[str, list[Row]] = {}
        self.village_phones: dict[str, str] = {}
        self.products = {p.code: p for p in self.data.products}

    # --- small helpers ------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
        if weights is None:
            return items[self.rng.randrange(len(items))]
        return self.rng.choices(items, weights=weights)[0]

    def pick_key(self, weights: dict[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.as_of - dt.timedelta(days=self.rng.randint(low, max(low, high)))

    def mobile(self) -> str:
        while True:
            number = self.pick(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def landline(self, area: Area) -> str:
        for _attempt in range(50):  # the exchanges of an area hold 10,000 numbers each
            # Putian numbers have 7 digits: a 3-digit exchange prefix and 4 digits.
            number = f"0594-{self.pick(area.landline_prefixes)}{self.rng.randrange(10000):04d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number
        return number  # an area this full shares numbers, as a real one would

    # --- reference data -----------------------------------------------------------------------
    def reference(self) -> Population:
        out = Population()
        for p in self.data.products:
            long_term = p.term == "long"
            out.products.append(
                {
                    "code": p.code,
                    "name": p.name,
                    "name_en": p.name_en,
                    "line": p.line,
                    "term": p.term,
                    "cooling_off_days": {"CN": 15, "HK": 21, "SG": 14} if long_term else {},
                    "payment_modes": list(p.modes),
                    "callback_required": long_term,
                }
            )
        for i in self.data.intermediaries:
            out.intermediaries.append({"code": i.code, "name": i.name, "kind": i.kind})
        for branch, weight in self.data.branch_weights.items():
            count = max(4, round(self.total * weight / 100 / 120))
            agents = []
            for index in range(count):
                surname = self.pick(self.data.surnames, self.data.surname_weights)
                given = self.pick(
                    self.data.given_names[self.pick(["middle_male", "middle_female"])]
                )
                agents.append(
                    {
                        "code": f"{AGENT_PREFIX}{branch}-{index + 1:04d}",
                        "name": surname + given,
                        "branch": branch,
                        "phone_e164": "+86" + self.mobile(),
                        "is_active": self.chance(0.9),
                    }
                )
            sloppy = [a for a in agents if a["is_active"] and self.chance(SLOPPY_AGENT_SHARE)]
            self.agents_by_branch[branch] = [a for a in agents if a["is_active"]]
            self.sloppy_agents[branch] = sloppy or self.agents_by_branch[branch][:1]
            out.agents.extend(agents)
        return out

    # --- people -------------------------------------------------------------------------------
    def next_number(self) -> str:
        self.customer_seq += 1
        return f"{CUSTOMER_PREFIX}{self.customer_seq:08d}"

    def resident_id(self, area_code: str, birth: dt.date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(100) * 10 + self.rng.randrange(5) * 2
            sequence += 1 if gender == "M" else 0
            first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
            number = first17 + resident_id_check_digit(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def given_name(self, birth_year: int, gender: str) -> str:
        era = "elder" if birth_year < 1965 else "middle" if birth_year < 1990 else "young"
        return self.pick(self.data.given_names[f"{era}_{'male' if gender == 'M' else 'female'}"])

    def person(
        self,
        *,
        age: int,
        gender: str,
        area: Area,
        rural: bool,
        address: str,
        branch: str,
        household: str,
        surname: str | None = None,
    ) -> Person:
        birth = self.as_of - dt.timedelta(days=age * 365 + self.rng.randrange(365) + age // 4)
        age = age_on(birth, self.as_of)
        surname = surname or self.pick(self.data.surnames, self.data.surname_weights)
        given = self.given_name(birth.year, gender)
        id_area = area.id_area
        if self.chance(0.1):  # born elsewhere in Putian
            id_area = self.pick(["350302", "350303", "350304", "350322"])
        occupation, income, segment = self.occupation(age, rural)
        language, dialect = self.languages(age, rural)
        flags = []
        if age >= 65:
            flags.append("elderly")
            if language == "puxian" and self.chance(0.4):
                flags.append("low_literacy")
            if age >= 80 and self.chance(0.2):
                flags.append("hearing_impaired")
        row: Row = {
            "number": self.next_number(),
            "kind": "person",
            "branch": branch,
            "name": surname + given,
            "name_latin": latin_name(surname, given),
            "id_type": "resident_id",
            "id_number": self.resident_id(id_area, birth, gender),
            "birth_date": birth,
            "gender": gender,
            "occupation": occupation,
            "income_band": income,
            "dependants": 0,
            "liabilities": Decimal(0),
            "segment": segment,
            "preferred_language": language,
            "dialect": dialect,
            "vulnerability_flags": flags,
            "household": household,
            "source_system": "",
            "created_at": _at(self.as_of),
        }
        if 25 <= age < 60 and self.chance(0.3):
            row["liabilities"] = Decimal(self.rng.randrange(2, 80) * 10000)
        return Person(row=row, age=age, rural=rural, area=area, address=address)

    def occupation(self, age: int, rural: bool) -> tuple[str, str, str]:
        if age < 18:
            names, weights = self.data.occupations["minor"]
            return self.pick(names, weights), "unknown", "mass"
        if age >= 60:
            names, weights = self.data.occupations["retired"]
            income = self.pick(["lt50k", "50k-100k", "100k-300k"], [70, 25, 5])
            return self.pick(names, weights), income, "senior" if age >= 65 else "mass"
        names, weights = self.data.occupations["rural" if rural else "urban"]
        if rural:
            income = self.pick(["lt50k", "50k-100k", "100k-300k", "300k-1m"], [50, 35, 13, 2])
        else:
            income = self.pick(
                ["lt50k", "50k-100k", "100k-300k", "300k-1m", "gt1m"], [12, 35, 38, 12, 3]
            )
        segment = {"300k-1m": "affluent", "gt1m": "hnw"}.get(income, "rural" if rural else "mass")
        return self.pick(names, weights), income, segment

    def languages(self, age: int, rural: bool) -> tuple[str, str]:
        if self.chance(0.05):  # moved from southern Fujian (闽南)
            return "mandarin", "minnan"
        if age >= 65:
            share = DIALECT_ONLY["elderly_rural" if rural else "elderly_urban"]
        elif age >= 50 and rural:
            share = DIALECT_ONLY["older_rural"]
        else:
            share = DIALECT_ONLY["other"]
        if self.chance(share):
            return "puxian", "puxian"
        speaks = 0.9 if age >= 35 else 0.6 if age >= 18 else 0.3
        return "mandarin", "puxian" if self.chance(speaks) else ""

    def address(self, area: Area) -> tuple[str, bool]:
        town = self.pick(area.towns)
        place = self.pick(town.places)
        if town.urban:
            text = f"{area.prefix}{town.name}{place}{self.rng.randint(1, 400)}号"
            if self.chance(0.6):
                floor, flat = self.rng.randint(1, 18), self.rng.randint(1, 4)
                text += f"{self.rng.randint(1, 12)}幢{floor}0{flat}室"
        else:
            text = f"{area.prefix}{town.name}{place}{self.rng.randint(1, 300)}号"
        if self.chance(0.05):  # not in standard form (地址未按规范填写)
            county = area.prefix.removeprefix("福建省莆田市")[:2]
            text = county + town.name[:2] + place.removesuffix("村")
        return text, not town.urban

    # --- households ---------------------------------------------------------------------------
    def household(self, limit: int, out: Population) -> list[Person]:
        data = self.data
        branch = self.pick_key({k: float(v) for k, v in data.branch_weights.items()})
        area = self.pick([a for a in data.areas if a.branch == branch])
        address, rural = self.address(area)
        shape = self.pick_key(
            {"single": 16, "couple": 18, "family": 36, "three_generations": 18, "elderly": 12}
        )
        self.household_seq += 1
        key = f"H{self.household_seq:08d}"
        people: list[Person] = []

        def add(age: int, gender: str, surname: str | None = None) -> Person | None:
            if len(people) >= limit:
                return None
            p = self.person(
                age=age,
                gender=gender,
                household=key,
                surname=surname,
                area=area,
                rural=rural,
                address=address,
                branch=branch,
            )
            people.append(p)
            return p

        def couple(low: int, high: int) -> tuple[Person | None, Person | None]:
            age = self.rng.randint(low, high)
            husband = add(age, "M")
            wife = add(max(18, age - self.rng.randint(-2, 5)), "F")
            if husband and wife:
                husband.spouse = wife
                out.relations.append(
                    {
                        "customer": husband.row["number"],
                        "related": wife.row["number"],
                        "kind": "spouse",
                    }
                )
            return husband, wife

        def kids(father: Person | None, mother: Person | None, count: int) -> None:
            if father is None:
                return
            for _ in range(count):
                child = add(
                    self.rng.randint(0, max(0, min(father.age - 22, 30))),
                    self.pick(["M", "F"]),
                    father.row["name"][0],
                )
                if child is None:
                    return
                for parent in (father, mother):
                    if parent is None:
                        continue
                    parent.children.append(child)
                    relation = {"customer": parent.row["number"], "related": child.row["number"]}
                    out.relations.append({**relation, "kind": "child"})
                    if child.age < 18:  # the parent is the minor's guardian
                        out.relations.append(
                            {
                                "customer": child.row["number"],
                                "related": parent.row["number"],
                                "kind": "guardian",
                            }
                        )

        if shape == "single":
            age = self.pick([self.rng.randint(20, 45), self.rng.randint(60, 90)], [60, 40])
            add(age, self.pick(["M", "F"]))
        elif shape == "couple":
            couple(24, 62)
        elif shape == "family":
            father, mother = couple(28, 55)
            kids(father, mother, self.pick([1, 2, 3], [50, 40, 10]))
        elif shape == "three_generations":
            grandfather, _grandmother = couple(66, 90)
            if grandfather:
                father = add(
                    self.rng.randint(max(25, grandfather.age - 40), grandfather.age - 22),
                    "M",
                    grandfather.row["name"][0],
                )
                if father:
                    grandfather.children.append(father)
                    out.relations.append(
                        {
                            "customer": grandfather.row["number"],
                            "related": father.row["number"],
                            "kind": "child",
                        }
                    )
                    out.relations.append(
                        {
                            "customer": father.row["number"],
                            "related": grandfather.row["number"],
                            "kind": "parent",
                        }
                    )
                    mother = add(max(22, father.age - self.rng.randint(-2, 5)), "F")
                    if mother:
                        father.spouse = mother
                        out.relations.append(
                            {
                                "customer": father.row["number"],
                                "related": mother.row["number"],
                                "kind": "spouse",
                            }
                        )
                    kids(father, mother, self.pick([1, 2], [60, 40]))
        else:
            couple(63, 88)
        if people:
            out.households.append(
                {"key": key, "branch": branch, "name": f"{people[0].row['name']}户"}
            )
        for p in people:
            if p.row["birth_date"] and 18 <= p.age < 60:
                self.workers.append(p.row["number"])
            p.row["dependants"] = sum(1 for c in p.children if c.age < 18)
        return people

    # --- policies -----------------------------------------------------------------------------
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
        premium = _money(annual / MODE_DIVISOR[mode]) if mode != "single" else _money(annual)
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
        created = _at(row["application_date"])
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

    # --- money: mandates, premiums, collection attempts, payouts -------------------------------
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
                        index = max(1, _first_due_after(issue, period, pick))
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
            last_index = _months_between(issue, horizon) // period
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

    # --- contacts, consents, do-not-call, risk profiles ----------------------------------------
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

    # --- group business -----------------------------------------------------------------------
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
                "created_at": _at(self.as_of - dt.timedelta(days=self.rng.randint(400, 3000))),
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
            premium = _money(float(sum_assured) * product.premium_rate * max(1, len(members)))
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

    # --- the stream -----------------------------------------------------------------------------
    def units(self, chunk_customers: int) -> Iterator[Population]:
        produced = 0
        out = Population()
        while produced < self.total:
            if self.persons_since_employer >= 120:
                self.persons_since_employer = 0
                self.employer(out)
                produced += 1
            else:
                people = self.household(self.total - produced, out)
                for p in people:
                    out.customers.append(p.row)
                self.holdings(people, out)
                self.contacts(people, out)
                self.consents(people, out)
                produced += len(people)
                self.persons_since_employer += len(people)
            if len(out.customers) >= chunk_customers:
                yield out
                out = Population()
        if out.customers:
            yield out


def _months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (0 if end is before start's first monthly anniversary)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _first_due_after(issue: dt.date, period: int, day: dt.date) -> int:
    """Index of the first due date (issue + k·period months) on or after `day`."""
    k = _months_between(issue, day) // period
    while add_months(issue, k * period) < day:
        k += 1
    return k


def iter_population(
    seed: int, customers: int, *, as_of: dt.date = DEFAULT_AS_OF, chunk_customers: int = 5000
) -> Iterator[Population]:
    """The population in chunks: first the reference data (products, distributors), then
    customers with everything that hangs off them. Same seed, size and date: same rows."""
    generator = _Generator(seed, customers, as_of)
    yield generator.reference()
    yield from generator.units(chunk_customers)


def generate(seed: int, customers: int, *, as_of: dt.date = DEFAULT_AS_OF) -> Population:
    population = Population()
    for chunk in iter_population(seed, customers, as_of=as_of):
        population.extend(chunk)
    return population
