from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve PolicyDesk: the web server, the task worker and the scheduler, together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        bind = f"{options['host']}:{options['port']}"
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "policydesk.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["web_workers"]),
                "--access-logfile",
                "-",
            ],
            "worker": [
                python,
                "-m",
                "policydesk.cli",
                "db_worker",
                "--queue-name",
                "*",
                "--no-reload",
                "--interval",
                "1",
            ],
            "scheduler": [python, "-m", "policydesk.cli", "scheduler", "--loop"],
        }
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "policydesk.settings"}
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603
        self.stdout.write(f"PolicyDesk on http://{bind}/ (web, worker, scheduler); Ctrl-C stops.")

        def stop(*_: Any) -> None:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(1)
        finally:
            stop()
            for name, process in processes.items():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                if process.returncode not in (0, -signal.SIGTERM, None):
                    self.stderr.write(f"{name} exited with {process.returncode}")
