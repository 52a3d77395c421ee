"""Processes whose steps belong to an app: new business, servicing and claims record what a
step means (an approval within authority limits, a payment, an effect on the policy) in
their own services, which take the engine's step themselves. Taken on the generic case page
or the case API, such a step would skip that record, so the engine refuses it there and
points to the app's page. Each app registers its process codes from AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

# process code → the URL of the record page where the case's steps are taken
MANAGED_PROCESSES: dict[str, Callable[[Any], str]] = {}


def register_managed_process(code: str, page_for: Callable[[Any], str]) -> None:
    MANAGED_PROCESSES[code] = page_for


def managed_page(case: Any) -> str | None:
    """The app page where this case's steps are taken, or None for an engine-only process."""
    page_for = MANAGED_PROCESSES.get(case.process.code)
    if page_for is None:
        return None
    try:
        return page_for(case)
    except ObjectDoesNotExist:  # a case whose record is not written yet: still managed
        return ""
