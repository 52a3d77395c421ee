"""The demo population: a deterministic, believable book of the Putian city branch (莆田) and
its county branches (仙游 xy, the seed branch; 荔城 lc), with the defects of shared/seeds/004.

`generate(seed, customers)` is a pure function: the same seed, size and reference date give
the same rows (plain dicts keyed by business keys: customer and policy numbers, product and
agent codes, branch and language codes). `load_population` (load_population.py) writes them.
Generation streams in chunks (`iter_population`) so a large book never sits in memory at once;
the stream does not depend on the chunk size, so the chunks concatenate to `generate`.

The generator is one class assembled from parts that share one random generator (draws.py):
reference data (distribution.py), persons and households (people.py), contacts and consents
(contacts.py), policies (policies.py), premiums and collections (money.py), disbursements
(payouts.py) and group business (group_business.py). The shares that dial the seed report's
problems sit beside the code that rolls them; each constant says which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .contacts import Contacts
from .dates import add_months, add_years, age_on
from .distribution import Distribution
from .group_business import GroupBusiness
from .policies import Policies
from .rows import CUSTOMER_PREFIX, Population, Row

__all__ = [
    "CUSTOMER_PREFIX",
    "DEFAULT_AS_OF",
    "Population",
    "Row",
    "add_months",
    "add_years",
    "age_on",
    "generate",
    "iter_population",
]

# A fixed reference date makes `generate` pure; the loader passes today's date so issued
# policies are really in cooling-off and premiums really due.
DEFAULT_AS_OF = dt.date(2025, 10, 31)  # the seed report's "year to 31 October"


class _Generator(Distribution, GroupBusiness, Policies, Contacts):
    """The whole book: each part draws from the one shared random generator, in a fixed order."""

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
