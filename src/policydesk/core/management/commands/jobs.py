from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from policydesk.core.models import ScheduledJob
from policydesk.core.scheduler import jobs_sync, scheduler_tick


class Command(BaseCommand):
    help = "Scheduled jobs: `sync` adds jobs from the scheduled_jobs.toml files, `list`, `tick`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("sync")
        sub.add_parser("list")
        sub.add_parser("tick", help="Enqueue the jobs that are due now, once.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "sync":
            self.stdout.write(f"{jobs_sync()} job(s) added")
        elif options["subcommand"] == "tick":
            runs = scheduler_tick()
            self.stdout.write(f"{len(runs)} run(s) enqueued")
        else:
            for job in ScheduledJob.objects.order_by("name"):
                state = "on " if job.enabled else "off"
                self.stdout.write(f"{state} {job.name:32} {job.schedule:16} next {job.next_run_at}")
