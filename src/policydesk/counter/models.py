"""The counter hall (柜面): service types, windows opened by tellers, queue tickets (取号 →
叫号 → 办理 → 完成 | 过号) and the visits they become, with the rating asked at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from policydesk.cases.models import Case


class LeadsTo(models.TextChoices):
    """The case process a service type usually leads to (Process.code)."""

    NEW_BUSINESS = "newbusiness", _("New business")  # 契约
    SERVICING = "servicing", _("Policy servicing")  # 保全
    CLAIM = "claim", _("Claim")  # 理赔
    ENQUIRY = "enquiry", _("Enquiry")  # 咨询
    COMPLAINT = "complaint", _("Complaint")  # 投诉


class ServiceType(models.Model):
    """A kind of business a customer takes a number for; synced from service_types.toml and
    edited by counter managers (an edited row is not overwritten by the next sync)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # The ticket number's letter: A001, B014 ...; unique so numbers never collide on a day.
    letter = models.CharField(_("ticket letter"), max_length=1, unique=True)
    # The org Skill (org.Skill.code) a teller needs to be called for this service; empty: any
    # teller. A code rather than a key so the file syncs before or after the organisation.
    skill_code = models.SlugField(_("skill needed"), max_length=48, blank=True)
    leads_to = models.CharField(_("usually leads to"), max_length=16, choices=LeadsTo.choices)
    # Calls without an answer after which the teller may mark the ticket a no-show (过号).
    calls_before_no_show = models.PositiveSmallIntegerField(_("calls before no-show"), default=3)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    edited = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class WindowSession(models.Model):
    """A teller at a counter window (org Team of kind "counter") for part of a day."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey("org.Team", on_delete=models.PROTECT, related_name="+")
    teller = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("window session")
        verbose_name_plural = _("window sessions")
        constraints = [
            # One teller per open window and one open window per teller.
            models.UniqueConstraint(
                fields=["window"],
                condition=models.Q(closed_at__isnull=True),
                name="counter_window_one_open_session",
            ),
            models.UniqueConstraint(
                fields=["teller"],
                condition=models.Q(closed_at__isnull=True),
                name="counter_teller_one_open_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_id}:{self.teller_id}"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")  # 等候: issued, not yet called
    CALLED = "called", _("Called")  # 已叫号: called to a window, customer not yet there
    SERVING = "serving", _("Serving")  # 办理中: at the window
    DONE = "done", _("Done")  # 已完成: served, rating step taken
    NO_SHOW = "no_show", _("No-show")  # 过号: called N times, nobody came
    CANCELLED = "cancelled", _("Cancelled")  # 取消: withdrawn before being called


ACTIVE_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING)


class Ticket(models.Model):
    """A queue number (取号): A001 … per branch, day and letter."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("service")
    )
    issue_day = models.DateField(_("day"))  # the branch's local day the number belongs to
    letter = models.CharField(max_length=1)
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("ticket number"), max_length=8)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counter_tickets",
    )
    # Vulnerable customers (elderly, hearing impaired ...) are called first (优先).
    is_priority = models.BooleanField(_("priority"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Position in the queue: the issue time, or the time of a transfer to another service.
    queued_at = models.DateTimeField(default=timezone.now)
    first_called_at = models.DateTimeField(_("first called"), null=True, blank=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)  # the latest call
    call_count = models.PositiveSmallIntegerField(_("calls"), default=0)
    teller = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    window = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)  # done, no-show or cancelled
    transfers = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "issue_day", "letter", "sequence"],
                name="counter_ticket_number_unique",
            )
        ]
        indexes = [
            # Call-next and the board: the waiting tickets of a branch in queue order.
            models.Index(
                fields=["branch", "service_type", "queued_at"],
                name="counter_ticket_waiting_idx",
                condition=models.Q(status="waiting"),
            ),
            # KPIs over a period.
            models.Index(fields=["branch", "issued_at"], name="counter_ticket_issued_idx"),
            models.Index(fields=["customer", "id"], name="counter_ticket_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class TicketEventType(models.TextChoices):
    ISSUED = "issued", _("Number issued")
    CALLED = "called", _("Called")
    RECALLED = "recalled", _("Called again")
    SERVING = "serving", _("Service started")
    TRANSFERRED = "transferred", _("Transferred")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


class TicketEvent(models.Model):
    """The ticket's timeline. Never updated or deleted."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=TicketEventType.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "id"], name="counter_ticket_event_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.type}"


class RatingOutcome(models.TextChoices):
    """How the rating step ended: a score, or why there is none (never silently skipped)."""

    RATED = "rated", _("Rated")  # the customer gave 1–5
    DECLINED = "declined", _("Customer declined to rate")
    LEFT = "left", _("Customer left before rating")
    DEVICE = "device", _("Rating device out of order")
    OTHER = "other", _("Other reason (noted)")


class Visit(models.Model):
    """A served ticket: the customer at a window, the cases handled and the rating (评价)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="visit")
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counter_visits",
    )
    teller = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    window = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("service started"))
    ended_at = models.DateTimeField(_("service ended"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_outcome = models.CharField(
        _("rating step"), max_length=16, choices=RatingOutcome.choices, blank=True
    )
    unrated_note = models.CharField(_("why not rated"), max_length=200, blank=True)
    rating_recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Records fetched from the paper archive during the visit (a known cause of long waits).
    archive_pull = models.BooleanField(_("archive records pulled"), default=False)
    cases: models.ManyToManyField[Case, VisitCase] = models.ManyToManyField(
        "cases.Case", through="VisitCase", related_name="counter_visits", blank=True
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=1, rating__lte=5, rating_outcome="rated"),
                name="counter_visit_rating_range",
            )
        ]
        indexes = [
            # A customer's visits, newest first (customer 360).
            models.Index(fields=["customer", "id"], name="counter_visit_customer_idx"),
            # KPIs per teller over a period.
            models.Index(fields=["branch", "started_at"], name="counter_visit_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}"


class VisitCase(models.Model):
    """A case handled in a visit (linked or opened at the window)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["visit", "case"], name="counter_visit_case_unique")
        ]
        indexes = [models.Index(fields=["case"], name="counter_visit_case_idx")]

    def __str__(self) -> str:
        return f"{self.visit_id}:{self.case_id}"


class TicketSequence(models.Model):
    """The last number given per branch, day and letter; its row lock serialises issuing."""

    branch = models.ForeignKey("org.Branch", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    letter = models.CharField(max_length=1)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "day", "letter"], name="counter_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.branch_id}:{self.day}:{self.letter}{self.last}"
