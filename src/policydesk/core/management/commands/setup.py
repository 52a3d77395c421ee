from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from policydesk.cases.process_services import processes_sync
from policydesk.cases.rules_services import rules_sync
from policydesk.core.scheduler import jobs_sync
from policydesk.org.services import permissions_sync


class Command(BaseCommand):
    help = "Load the default data the app needs (permissions, jobs, processes); safe to repeat."

    def handle(self, *args: Any, **options: Any) -> None:
        grants = permissions_sync(by=None)
        jobs = jobs_sync()
        processes = processes_sync()
        rules = rules_sync()
        self.stdout.write(
            f"permission rows added: {grants}; scheduled jobs added: {jobs}; "
            f"processes added: {processes}; case rules: {rules}"
        )
