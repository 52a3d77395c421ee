from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from policydesk.core.scheduler import jobs_sync
from policydesk.org.services import permissions_sync


class Command(BaseCommand):
    help = "Load default data the app needs (permission matrix, scheduled jobs); safe to repeat."

    def handle(self, *args: Any, **options: Any) -> None:
        grants = permissions_sync(by=None)
        jobs = jobs_sync()
        self.stdout.write(f"permission rows added: {grants}; scheduled jobs added: {jobs}")
