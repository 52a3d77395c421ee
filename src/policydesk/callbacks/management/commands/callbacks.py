"""`policydesk callbacks sync [--loop]` makes the callback tasks due (the scheduled job's
function); `policydesk callbacks demo` loads the demo year; `policydesk callbacks demo-task`
adds one new policy whose mobile has the 0594 defect, with its task (browser tests)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from policydesk.callbacks import services
from policydesk.callbacks.demo import callbacks_demo
from policydesk.callbacks.models import CallbackTask
from policydesk.customers import services as customer_services
from policydesk.customers.identity import resident_id_check_digit
from policydesk.org.models import Branch
from policydesk.policies import services as policy_services
from policydesk.policies.models import Product, Term


class Command(BaseCommand):
    help = "Callbacks (回访): `sync [--loop]`, `demo`, `demo-task`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sync = sub.add_parser("sync", help="Create due tasks, cancel, route (idempotent).")
        sync.add_argument("--branch", default="", help="Branch code; all branches if left out.")
        sync.add_argument("--loop", type=int, default=0, help="Repeat every N seconds.")
        demo = sub.add_parser("demo", help="A year of demo callbacks for a branch.")
        demo.add_argument("--branch", default="xy")
        demo.add_argument("--seed", type=int, default=2026)
        task = sub.add_parser("demo-task", help="One policy with a 0594-prefixed mobile.")
        task.add_argument("--branch", default="xy")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "sync":
            self._sync(options)
        elif subcommand == "demo":
            counts = callbacks_demo(
                branch=self._branch(options["branch"]),
                seed=options["seed"],
                as_of=timezone.localdate(),
            )
            self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
        else:
            task = self._demo_task(self._branch(options["branch"]))
            self.stdout.write(f"{task.pk} {task.policy.number}")

    def _branch(self, code: str) -> Branch:
        branch = Branch.objects.filter(code=code).first()
        if branch is None:
            raise CommandError(f"No branch {code!r}.")
        return branch

    def _sync(self, options: dict[str, Any]) -> None:
        branch = self._branch(options["branch"]) if options["branch"] else None
        while True:
            counts = services.callback_sync(branch=branch)
            self.stdout.write(
                f"{counts['created']} created, {counts['cancelled']} cancelled, "
                f"{counts['routed']} routed"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])

    @transaction.atomic
    def _demo_task(self, branch: Branch) -> CallbackTask:
        """A bancassurance customer whose mobile the bank typed into the office-phone field
        and the callback system prefixed with 0594; receipt signed yesterday."""
        product = (
            Product.objects.filter(term=Term.LONG, callback_required=True, is_active=True)
            .exclude(cooling_off_days={})
            .order_by("code")
            .first()
        )
        if product is None:
            raise CommandError("No long-term product that asks for a callback.")
        serial = uuid.uuid4().int
        first17 = f"350322{dt.date(1968, 5, 1):%Y%m%d}{serial % 1000:03d}"
        customer = customer_services.customer_create(
            number=f"CBDEMO{serial % 10**10:010d}",
            kind="person",
            branch=branch,
            name="林秀琴",
            id_type="resident_id",
            id_number=first17 + resident_id_check_digit(first17),
            by=None,
        )
        mobile = f"139{serial % 10**8:08d}"
        customer_services.contact_add(
            customer=customer,
            kind="phone",
            raw="0594" + mobile,
            phone_type="fixed_line",
            is_primary=True,
            source="bancassurance",
            by=None,
        )
        today = timezone.localdate()
        signed = today - dt.timedelta(days=1)
        policy = policy_services.policy_create(
            number=f"CB{serial % 10**12:012d}",
            product=product,
            branch=branch,
            policyholder=customer,
            channel="bancassurance",
            status="issued",
            application_date=signed - dt.timedelta(days=10),
            issue_date=signed - dt.timedelta(days=2),
            receipt_signed_date=signed,
            sum_assured=Decimal("100000.00"),
            premium=Decimal("6000.00"),
            payment_mode="annual"
            if "annual" in product.payment_modes or not product.payment_modes
            else product.payment_modes[0],
            payment_method="auto_debit",
            term_years=10,
            by=None,
        )
        services.callback_sync(branch=branch)
        return CallbackTask.objects.select_related("policy").get(
            policy=policy, trigger__code="new-policy"
        )
