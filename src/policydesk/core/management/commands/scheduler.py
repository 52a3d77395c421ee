from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from policydesk.core.scheduler import scheduler_tick


class Command(BaseCommand):
    help = "Enqueue due scheduled jobs; with --loop keep doing so every --interval seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--interval", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            runs = scheduler_tick()
            for run in runs:
                self.stdout.write(f"enqueued {run.job.name} for {run.slot:%Y-%m-%d %H:%M}Z")
            if not options["loop"] or stopping:
                return
            for _ in range(options["interval"]):
                if stopping:
                    return
                time.sleep(1)
