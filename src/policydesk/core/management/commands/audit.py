from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policydesk.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools: `policydesk audit verify` checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Recompute every hash; exit 1 at the first tampering.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} audit events verified."))
            return
        for chain_break in result.breaks:
            self.stderr.write(f"event {chain_break.event_id}: {chain_break.reason}")
        raise CommandError(
            f"Audit chain broken: {len(result.breaks)} problem(s) in {result.checked} events."
        )
