"""The data PolicyDesk ships with, loaded where missing: the permission matrix, scheduled
jobs, processes with their SLA policies and case rules, the servicing catalogue, claim
authority limits, counter service types and callback settings. Safe to repeat: rows an
administrator or the Head of Customer Service changed are kept (each sync says how)."""

from __future__ import annotations

from typing import Any


def shipped_data_sync() -> dict[str, Any]:
    """Run every app's sync in dependency order; return what each added."""
    from policydesk.callbacks.services import config_sync as callback_config_sync
    from policydesk.cases.process_services import processes_sync
    from policydesk.cases.rules_services import rules_sync
    from policydesk.claims.services import authority_limits_sync
    from policydesk.core.scheduler import jobs_sync
    from policydesk.counter.services import service_types_sync
    from policydesk.org.services import permissions_sync
    from policydesk.servicing.services import catalogue_sync

    return {
        "permission rows": permissions_sync(by=None),
        "scheduled jobs": jobs_sync(),
        "processes": processes_sync(),
        "case rules": rules_sync(),
        "servicing items": catalogue_sync(),
        "claim authority limits": authority_limits_sync(),
        "counter service types": service_types_sync(),
        "callback settings": callback_config_sync(),
    }
