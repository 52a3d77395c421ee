from __future__ import annotations

import argparse
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from policydesk.complaints.demo import complaints_demo
from policydesk.complaints.models import Complaint
from policydesk.core.request_context import RequestContext, bound_context
from policydesk.core.shipped import shipped_data_sync
from policydesk.demo.cases import load_demo_cases
from policydesk.demo.load_population import DEFAULT_SEED, load_population
from policydesk.demo.operations import load_operations
from policydesk.demo.organisation import DEMO_PASSWORD, demo_logins, load_organisation
from policydesk.org.models import Branch, Staff
from policydesk.org.second_factor import needs_second_factor

DEFAULT_CUSTOMERS = 2000


class Command(BaseCommand):
    help = (
        "Demo data: `load [--customers N] [--seed S]` (keeps existing data), `logins`, "
        "`otp-code USERNAME`; `--customers N` alone implies `load`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
        sub = parser.add_subparsers(dest="subcommand")
        load = sub.add_parser("load")
        load.add_argument(
            "--customers", type=int, default=None, help="Customers to generate (default 2000)."
        )
        load.add_argument(
            "--seed", type=int, default=None, help="Random seed (same seed, same data)."
        )
        sub.add_parser("logins")
        code = sub.add_parser("otp-code", help="Current TOTP code of a demo account.")
        code.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is not available in production.")
        with bound_context(RequestContext(request_id="demo-load", client_address="")):
            subcommand = options["subcommand"]
            if subcommand is None and options["customers"] is None:
                raise CommandError("Say what to do: load, logins or otp-code.")
            if subcommand in (None, "load"):
                self._load(options)
            elif options["subcommand"] == "logins":
                with translation.override("en"):  # a terminal table, aligned like the README's
                    self._print_logins()
            else:
                self._print_code(options["username"])

    def _load(self, options: dict[str, Any]) -> None:
        created = load_organisation()
        self.stdout.write("demo organisation loaded" if created else "demo organisation kept")
        started = time.monotonic()
        customers = DEFAULT_CUSTOMERS if options["customers"] is None else options["customers"]
        counts = load_population(
            customers=customers,
            seed=DEFAULT_SEED if options["seed"] is None else options["seed"],
        )
        if counts is None:
            self.stdout.write("demo population kept as it was")
        else:
            seconds = time.monotonic() - started
            self.stdout.write(
                f"demo population loaded: {counts['customers']} customers, "
                f"{counts['policies']} policies in {seconds:.1f} s ({counts['quality']})"
            )
        seed = DEFAULT_SEED if options["seed"] is None else options["seed"]
        # The shipped processes, rules and catalogues (as `policydesk setup` loads them).
        shipped_data_sync()
        # Cases scale with the population: 120 enquiries a branch and 60 complaints for the
        # default 2,000 customers, a handful for a small test population.
        cases = load_demo_cases(seed=seed, per_branch=max(2, min(120, customers // 16)))
        self.stdout.write(f"demo enquiries loaded: {cases}" if cases else "demo enquiries kept")
        if Complaint.objects.exists():
            self.stdout.write("demo complaints kept")
        else:
            branches = list(Branch.objects.filter(code__in=("xy", "lc")).order_by("code"))
            made = complaints_demo(
                branches=branches, seed=seed, count=max(2, min(60, customers // 33))
            )
            self.stdout.write(f"demo complaints loaded: {len(made)}")
        # The seed branch's year of counter operations (issue 5 onwards).
        load_operations(
            seed=seed, as_of=timezone.localdate(), customers=customers, report=self.stdout.write
        )

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
