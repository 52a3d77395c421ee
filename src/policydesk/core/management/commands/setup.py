from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from policydesk.core.shipped import shipped_data_sync


class Command(BaseCommand):
    help = (
        "Load the default data the app needs (permissions, jobs, processes and their rules, "
        "the servicing catalogue, claim authority limits, counter service types, callback "
        "settings); safe to repeat: what an administrator changed is kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added = shipped_data_sync()
        self.stdout.write("; ".join(f"{name} added: {count}" for name, count in added.items()))
