"""Escalation ladders as data: per process, levels that fire on a clock's progress or the
case's age, each doing one thing (notify, reassign, raise priority, go to the manager).

A level is applied to a case at most once (CaseEscalation is unique per case and level),
so the periodic sweep and the event-driven check can both run as often as they like.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.org.models import Role


class EscalationThreshold(models.TextChoices):
    PERCENT_ELAPSED = "percent_elapsed", _("Share of the clock's target elapsed")
    WARNING = "warning", _("Clock warning")  # the clock's own warning moment
    BREACH = "breach", _("Clock breached")
    AGE_OVER = "age_over", _("Case older than")  # wall time since the case was opened


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", _("Notify")
    REASSIGN = "reassign", _("Reassign")  # to a team and/or a role of the case's branch
    RAISE_PRIORITY = "raise_priority", _("Raise priority")
    ESCALATE_TO_MANAGER = "escalate_to_manager", _("Escalate to the branch manager")


class NotifyWhom(models.TextChoices):
    ASSIGNEE = "assignee", _("The assignee")  # else the team, when nobody is assigned
    TEAM = "team", _("The case's team")
    BRANCH_MANAGER = "branch_manager", _("The branch's counter managers")
    NOBODY = "nobody", _("Nobody")


class EscalationLadder(models.Model):
    """The escalation ladder of one process (升级阶梯)."""

    process = models.OneToOneField(
        "cases.Process",
        on_delete=models.CASCADE,
        related_name="escalation_ladder",
        verbose_name=_("kind"),
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("escalation ladder")
        verbose_name_plural = _("escalation ladders")
        ordering = ["process_id"]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"))
    # Blank: whichever running clock of the case gets there first.
    clock_code = models.SlugField(_("clock code"), max_length=48, blank=True)
    threshold = models.CharField(_("threshold"), max_length=24, choices=EscalationThreshold.choices)
    percent = models.PositiveSmallIntegerField(
        _("percent of target elapsed"), null=True, blank=True
    )
    age_hours = models.PositiveIntegerField(_("age in hours"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=24, choices=EscalationAction.choices)
    notify = models.CharField(
        _("who is told"), max_length=16, choices=NotifyWhom.choices, default=NotifyWhom.ASSIGNEE
    )
    # Reassign: to a team (by code, within the case's branch) and/or a role; neither means
    # the least-loaded available person of the case's branch other than the assignee.
    team_code = models.SlugField(_("team code"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["ladder_id", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "number"], name="escalation_level_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ladder_id} L{self.number}"


class CaseEscalation(models.Model):
    """A level applied to a case, once: the sweep's idempotence rests on the constraint."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="escalations")
    level = models.ForeignKey(EscalationLevel, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    clock_code = models.SlugField(max_length=48, blank=True)  # the clock that fired, if any
    reason = models.CharField(max_length=300)

    class Meta:
        verbose_name = _("case escalation")
        verbose_name_plural = _("case escalations")
        ordering = ["case_id", "number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "level"], name="case_escalation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} L{self.number}"


class EscalationWatch(models.Model):
    """When a case's ladder must next be looked at: the earliest moment a pending level can
    fire, recomputed at every clock change. The sweep reads only rows whose moment passed."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="escalation_watch"
    )
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The escalation sweep: watches whose moment has passed.
            models.Index(fields=["next_check_at"], name="escalation_watch_next_idx")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.next_check_at}"


class Notification(models.Model):
    """An in-app notice to one member of staff (shown on the notices page and home)."""

    recipient = models.ForeignKey(
        "org.Staff", on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Written in the recipient's interface language when the notice is created.
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The notices page and the unread count: one person's notices, newest first.
            models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx")
        ]

    def __str__(self) -> str:
        return self.text
