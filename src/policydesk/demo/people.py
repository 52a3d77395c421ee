"""Persons and households: names, resident IDs, occupations, languages, addresses, relations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from policydesk.customers.identity import resident_id_check_digit

from .dates import age_on, office_hours
from .draws import Draws
from .names import Area, IntermediarySpec, latin_name
from .rows import CUSTOMER_PREFIX, Population, Row

# Dialect-only customers (莆仙话): "很多投保人只听得懂方言", mostly elderly and rural.
DIALECT_ONLY = {"elderly_rural": 0.55, "elderly_urban": 0.25, "older_rural": 0.15, "other": 0.01}


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


class People(Draws):
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
            "created_at": office_hours(self.as_of),
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
