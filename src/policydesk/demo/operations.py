"""The demo's year of operations at the seed county branch (仙游, code "xy"): new business,
policy servicing and claims calibrated to the seed report's counts, the counter queue that
served them, post-sale callbacks and account monitoring.

Order matters: the counter's visits are made for the counter cases the first three created,
monitoring reads the registry and the servicing history. The year's new long-term policies
enter the registry after those steps (so their draws over the registry, and the counter's
figures, stay as they were) and before the callbacks, which call them. Each step creates
nothing when its data exists already, so a second `policydesk demo load` keeps the year.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from policydesk.callbacks.demo import callbacks_demo
from policydesk.claims.demo import claims_demo
from policydesk.counter.demo import counter_demo
from policydesk.monitoring.demo import monitoring_demo
from policydesk.newbusiness.demo import newbusiness_demo
from policydesk.newbusiness.demo_policies import newbusiness_demo_policies
from policydesk.org.models import Branch
from policydesk.servicing.demo import servicing_demo

SEED_BRANCH = "xy"
# The seed's population: at this many demo customers the year has the seed's exact counts
# (8,164 applications, 26,491 servicing items, 2,708 claims); a smaller test population gets
# a proportional year.
FULL_YEAR_CUSTOMERS = 2000


def operations_scale(customers: int) -> float:
    return min(1.0, customers / FULL_YEAR_CUSTOMERS)


def load_operations(
    *, seed: int, as_of: dt.date, customers: int, report: Callable[[str], None] | None = None
) -> dict[str, dict[str, int]]:
    """Run every step for the seed branch; return each step's counts."""
    branch = Branch.objects.filter(code=SEED_BRANCH).first()
    if branch is None:
        return {}
    scale = operations_scale(customers)
    steps: list[tuple[str, Callable[[], dict[str, int]]]] = [
        (
            "new business",
            lambda: newbusiness_demo(branch=branch, seed=seed, as_of=as_of, scale=scale),
        ),
        ("servicing", lambda: servicing_demo(branch=branch, seed=seed, as_of=as_of, scale=scale)),
        ("claims", lambda: claims_demo(branch=branch, seed=seed, as_of=as_of, scale=scale)),
        ("counter", lambda: counter_demo(branch=branch, seed=seed, as_of=as_of)),
        ("monitoring", lambda: monitoring_demo(branch=branch, seed=seed, as_of=as_of)),
        (
            "new-business policies",
            lambda: newbusiness_demo_policies(branch=branch, seed=seed, as_of=as_of),
        ),
        ("callbacks", lambda: callbacks_demo(branch=branch, seed=seed, as_of=as_of)),
    ]
    done: dict[str, dict[str, int]] = {}
    for name, step in steps:
        started = time.monotonic()
        done[name] = step()
        if report is not None:
            made = ", ".join(f"{key} {value}" for key, value in done[name].items() if value)
            seconds = time.monotonic() - started
            report(f"demo {name}: {made or 'kept'} ({seconds:.1f} s)")
    return done
