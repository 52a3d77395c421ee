from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policydesk.core.errors import DomainError
from policydesk.imports.exports import FORMATS, SOURCES, export_file
from policydesk.org.models import Staff


class Command(BaseCommand):
    help = "Export one kind of records as CSV or XLSX in the import format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SOURCES))
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", help="Default: <kind>.<format> in the current folder.")
        parser.add_argument(
            "--user",
            help="Export as this staff member (their branches; masked unless their role may "
            "see identities); default: the operator, everything unmasked.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = Staff.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active staff member {options['user']!r}.")
        try:
            result = export_file(kind=options["kind"], file_format=options["format"], by=user)
        except DomainError as error:
            raise CommandError(error.message) from error
        target = Path(options["output"] or result.file_name)
        with result.handle, target.open("wb") as out:
            shutil.copyfileobj(result.handle, out)
        self.stdout.write(f"{result.rows} rows written to {target}.")
