from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from policydesk.org.permission_docs import render_permissions_doc
from policydesk.org.services import permissions_sync

DOC_PATH = Path(settings.PROJECT_DIR) / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Permission matrix: `sync` loads missing defaults; `doc` writes docs/permissions.md."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("sync")
        doc = sub.add_parser("doc")
        doc.add_argument("--check", action="store_true", help="Fail if the file is out of date.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "sync":
            self.stdout.write(f"{permissions_sync(by=None)} row(s) added")
            return
        text = render_permissions_doc()
        if options["check"]:
            if not DOC_PATH.exists() or DOC_PATH.read_text(encoding="utf-8") != text:
                raise CommandError(
                    "docs/permissions.md is out of date: run `policydesk permissions doc`."
                )
            return
        DOC_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {DOC_PATH}")
