from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policydesk.core.errors import DomainError
from policydesk.imports.docs import write_docs
from policydesk.imports.services import guess_kind, import_run, import_start
from policydesk.imports.specs import KINDS
from policydesk.org.models import Staff

BAR_WIDTH = 30
# What the bar says after the rows are done (services.STAGES), in the command's English.
STAGE_NOTES = {
    "indexes": "building the search indexes",
    "quality": "checking the contact quality",
}


class Command(BaseCommand):
    help = (
        "Import customers, contacts, consents, products, policies or money events from a CSV "
        "or XLSX file (docs/import-formats.md). Exit code 1 when the file is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="The CSV or XLSX file.")
        parser.add_argument("--kind", choices=sorted(KINDS), help="Default: from the file name.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Apply the valid rows, report the rest."
        )
        parser.add_argument(
            "--user",
            help="Import as this staff member (their branches and permissions); default: as "
            "the operator, into any branch.",
        )
        parser.add_argument(
            "--write-docs",
            metavar="DOCS_DIR",
            help="Write import-formats.md and examples/ from the column specs, then stop.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write_docs"]:
            for path in write_docs(Path(options["write_docs"])):
                self.stdout.write(str(path))
            return
        if not options["file"]:
            raise CommandError("Name the file to import.")
        path = Path(options["file"]).resolve()
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        user = None
        if options["user"]:
            user = Staff.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active staff member {options['user']!r}.")
        try:
            kind = options["kind"] or guess_kind(path.name)
            job = import_start(
                by=user,
                kind=kind,
                file_name=path.name,
                path=path,
                dry_run=options["dry_run"],
                skip_invalid=options["skip_invalid"],
                enqueue=False,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        job = import_run(job.pk, progress=self._progress)
        self.stdout.write("")
        self._print_report(job.report)
        if job.status != "done":
            raise CommandError(
                f"{path.name} refused: {job.report.get('errors_total', 0)} error(s); "
                "nothing was written."
                if not job.skip_invalid
                else f"{path.name} failed."
            )

    def _progress(self, done: int, total: int, stage: str = "rows") -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        percent = 100 * done // total if total else 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        after = f"; {STAGE_NOTES[stage]}" if stage in STAGE_NOTES else ""
        line = f"[{bar}] {percent:3d}% {done}/{total} rows{after}"
        self.stdout.write(f"\r{line:<90}", ending="")
        self.stdout.flush()

    def _print_report(self, report: dict[str, Any]) -> None:
        for error in report.get("errors", []):
            where = f"{error['file']}, row {error['row']}"
            if error["column"]:
                where += f", column {error['column']}"
            self.stderr.write(f"{where}: {error['reason']}")
        shown, total = len(report.get("errors", [])), report.get("errors_total", 0)
        if total > shown:
            self.stderr.write(f"… and {total - shown} more error(s).")
        if "inserted" in report:
            verb = "would be" if report.get("dry_run") else ""
            self.stdout.write(
                f"{report['rows']} rows: {report['inserted']} inserted, "
                f"{report['updated']} updated, {report['unchanged']} unchanged, "
                f"{report['skipped']} skipped{' (dry run: nothing written)' if verb else ''}."
            )
        sys.stdout.flush()
