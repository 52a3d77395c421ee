from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.core.request_context import RequestContext, bound_context
from policydesk.demo.organisation import DEMO_PASSWORD, demo_logins, load_organisation
from policydesk.org.models import Staff
from policydesk.org.second_factor import needs_second_factor


class Command(BaseCommand):
    help = "Demo data: `load` (keeps existing data), `logins`, `otp-code USERNAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("load")
        sub.add_parser("logins")
        code = sub.add_parser("otp-code", help="Current TOTP code of a demo account.")
        code.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is not available in production.")
        with bound_context(RequestContext(request_id="demo-load", client_address="")):
            if options["subcommand"] == "load":
                created = load_organisation()
                self.stdout.write(
                    "demo organisation loaded" if created else "demo data kept as it was"
                )
            elif options["subcommand"] == "logins":
                self._print_logins()
            else:
                self._print_code(options["username"])

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        for staff in demo_logins():
            second = (
                "  + TOTP: policydesk demo otp-code " + staff.username
                if needs_second_factor(staff)
                else ""
            )
            branch = staff.branch.name_en if staff.branch else ""
            self.stdout.write(
                f"  {staff.username:16} {staff.get_role_display():28} {branch:24}{second}"
            )
        self.stdout.write("")

    def _print_code(self, username: str) -> None:
        staff = Staff.objects.filter(username=username, is_demo=True).first()
        device = TOTPDevice.objects.filter(user=staff, confirmed=True).first() if staff else None
        if device is None:
            raise CommandError(f"{username!r} is not a demo account with a second factor.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(str(code).zfill(device.digits))
