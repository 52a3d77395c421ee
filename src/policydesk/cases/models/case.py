"""Cases, their timeline, checklist marks and attachments."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .process import StateCategory

# Cases the queues show: everything not yet resolved or closed (StateCategory.finished()).
UNFINISHED = ~models.Q(category__in=["resolved", "closed"])


class CaseChannel(models.TextChoices):
    COUNTER = "counter", _("Counter")  # 柜面
    PHONE = "phone", _("Phone")  # 电话
    SELF_SERVICE = "self_service", _("Self-service")  # app, web, WeChat
    BANCASSURANCE = "bancassurance", _("Bancassurance")  # through a bank outlet
    AGENT = "agent", _("Agent")  # brought by a sales agent
    REGULATOR = "regulator", _("Forwarded by the regulator")  # 监管转办


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=32, unique=True)
    process = models.ForeignKey(
        "cases.Process", on_delete=models.PROTECT, related_name="cases", verbose_name=_("kind")
    )
    # The version the case was opened on; publishing a new one does not move it.
    process_version = models.ForeignKey(
        "cases.ProcessVersion", on_delete=models.PROTECT, related_name="cases"
    )
    state = models.ForeignKey("cases.ProcessState", on_delete=models.PROTECT, related_name="cases")
    # The state's category, copied so queues filter without a join.
    category = models.CharField(
        _("status"), max_length=24, choices=StateCategory.choices, default=StateCategory.OPEN
    )
    channel = models.CharField(_("channel"), max_length=16, choices=CaseChannel.choices)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="cases")
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    assignee = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_assigned",
        verbose_name=_("assignee"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
    )
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    language = models.ForeignKey(
        "org.Language",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("language or dialect"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    classification = models.CharField(_("category"), max_length=64, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    root_cause = models.CharField(_("root cause"), max_length=64, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    sla_policy = models.ForeignKey(
        "cases.SlaPolicy", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    # True when resolved at first contact, False when resolved later; None while open.
    first_contact_resolution = models.BooleanField(_("resolved at first contact"), null=True)
    # The nearest moments of the running clocks and whether any clock breached, kept by
    # cases.clocks at every clock change so the queues filter on the case row alone.
    next_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    next_warn_at = models.DateTimeField(null=True, blank=True)
    is_breached = models.BooleanField(_("breached"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    opened_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The work queues list unfinished cases, a small share of all cases once the
            # years pile up: partial indexes on (scope, id) hold only those, so a keyset page
            # is a short index walk whatever the number of closed cases. The predicate is the
            # one selectors._view_filter writes (NOT category IN finished), so it matches.
            models.Index(
                fields=["branch", "id"], name="case_branch_open_idx", condition=UNFINISHED
            ),
            # "My cases": the selector adds the user's branch condition to the assignee's, so
            # the branch is in the key; with (assignee, id) alone PostgreSQL ANDed two bitmaps
            # and sorted all of the person's open cases for one page (81 ms at 5,000).
            models.Index(
                fields=["assignee", "branch", "id"],
                name="case_assignee_branch_open_idx",
                condition=UNFINISHED,
            ),
            models.Index(fields=["team", "id"], name="case_team_open_idx", condition=UNFINISHED),
            models.Index(fields=["id"], name="case_open_idx", condition=UNFINISHED),
            # Waiting and finished views, and reports by status within a branch.
            models.Index(fields=["branch", "category", "id"], name="case_branch_queue_idx"),
            models.Index(fields=["customer", "id"], name="case_customer_idx"),
            # Breaching soon (a range on the warning moment) and breached, unfinished only.
            models.Index(fields=["next_warn_at"], name="case_next_warn_idx", condition=UNFINISHED),
            models.Index(
                fields=["branch", "id"],
                name="case_breached_idx",
                condition=UNFINISHED & models.Q(is_breached=True),
            ),
            # The company-wide breached view and its count, in id order.
            models.Index(
                fields=["id"],
                name="case_breached_company_idx",
                condition=UNFINISHED & models.Q(is_breached=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_finished(self) -> bool:
        return self.category in StateCategory.finished()


class EventType(models.TextChoices):
    OPENED = "opened", pgettext_lazy("case event", "Opened")
    TRANSITIONED = "transitioned", _("Status changed")
    COMMENTED = "commented", _("Comment")
    ATTACHED = "attached", _("Attachment added")
    ASSIGNED = "assigned", _("Assigned")
    CHECKLIST = "checklist", _("Checklist item")
    UPDATED = "updated", _("Details changed")
    CLOCK_STARTED = "clock_started", _("Clock started")
    CLOCK_PAUSED = "clock_paused", _("Clock paused")
    CLOCK_RESUMED = "clock_resumed", _("Clock resumed")
    CLOCK_MET = "clock_met", _("Clock stopped")
    CLOCK_EXTENDED = "clock_extended", _("Clock extended")
    CLOCK_RETARGETED = "clock_retargeted", _("SLA changed")
    CLOCK_WARNED = "clock_warned", _("Clock warning")
    CLOCK_BREACHED = "clock_breached", _("Clock breached")
    ESCALATED = "escalated", _("Escalated")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")  # staff only
    CUSTOMER = "customer", _("Customer-visible")  # shown to the customer; a first response


class CaseEvent(models.Model):
    """One line of a case's timeline; also its SLA history. Never updated or deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=EventType.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    body = models.TextField(blank=True)
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "id"], name="case_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.type}"


class CaseChecklistMark(models.Model):
    """A checklist item ticked on a case (the item belongs to the case's process version)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checklist_marks")
    item = models.ForeignKey("cases.ChecklistItem", on_delete=models.PROTECT, related_name="+")
    done_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "item"], name="case_checklist_mark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.item_id}"


class Attachment(models.Model):
    """A file on a case. The stored name is generated; the type is read from the content."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(_("file name"), max_length=255)
    storage_path = models.CharField(max_length=255, unique=True)  # relative to DATA_DIR
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return self.original_name
