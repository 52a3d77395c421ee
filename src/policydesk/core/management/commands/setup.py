from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from policydesk.callbacks.services import config_sync as callback_config_sync
from policydesk.cases.process_services import processes_sync
from policydesk.cases.rules_services import rules_sync
from policydesk.claims.services import authority_limits_sync
from policydesk.core.scheduler import jobs_sync
from policydesk.counter.services import service_types_sync
from policydesk.org.services import permissions_sync
from policydesk.servicing.services import catalogue_sync


class Command(BaseCommand):
    help = (
        "Load the default data the app needs (permissions, jobs, processes and their rules, "
        "the servicing catalogue, claim authority limits, counter service types, callback "
        "scripts and retry policies); safe to repeat: what an administrator changed is kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        grants = permissions_sync(by=None)
        jobs = jobs_sync()
        processes = processes_sync()
        rules = rules_sync()
        shipped = {
            "servicing items": catalogue_sync(),
            "claim authority limits": authority_limits_sync(),
            "counter service types": service_types_sync(),
            "callback settings": callback_config_sync(),
        }
        self.stdout.write(
            f"permission rows added: {grants}; scheduled jobs added: {jobs}; "
            f"processes added: {processes}; case rules: {rules}; "
            + "; ".join(f"{name}: {count}" for name, count in shipped.items())
        )
