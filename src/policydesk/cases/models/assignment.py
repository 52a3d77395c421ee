"""Assignment rules as data, capacities and absences of staff.

The first active rule (by position) matching a new case's kind, channel, branch and
language decides its team and how a person is picked; staff who are absent or at capacity
are passed over.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import CaseChannel


class AssignmentMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round robin")  # in turn, after the last one picked
    LEAST_LOADED = "least_loaded", _("Least loaded")  # fewest open cases
    SKILLS = "skills", _("Skills-based")  # has the skill and the case's language
    MANUAL = "manual", _("Manual")  # left in the team queue for a manager


class AssignmentRule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # Blank conditions match every case.
    process = models.ForeignKey(
        "cases.Process",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignment_rules",
        verbose_name=_("kind"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=CaseChannel.choices, blank=True)
    branch = models.ForeignKey(
        "org.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignment_rules",
        verbose_name=_("branch"),
    )
    include_subtree = models.BooleanField(_("and the branches under it"), default=False)
    language = models.ForeignKey(
        "org.Language",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("language or dialect"),
    )
    skill = models.ForeignKey(
        "org.Skill",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill"),
    )
    method = models.CharField(_("method"), max_length=16, choices=AssignmentMethod.choices)
    # The team, by code within the case's branch (a rule may cover many branches).
    team_code = models.SlugField(_("team code"), max_length=32, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Round robin: the last person picked (taken under the rule's row lock).
    last_assigned = models.ForeignKey(
        "org.Staff", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class StaffCapacity(models.Model):
    """How many open cases a person may hold; without a row, no limit."""

    staff = models.OneToOneField("org.Staff", on_delete=models.CASCADE, related_name="capacity")
    max_open_cases = models.PositiveIntegerField(_("open cases at most"))

    class Meta:
        verbose_name = _("staff capacity")
        verbose_name_plural = _("staff capacities")

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.max_open_cases}"


class Absence(models.Model):
    """Whole days a person is away (leave, training, sick); first and last day included."""

    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="absences")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-first_day", "id"]
        indexes = [
            # Eligibility: is this person away today?
            models.Index(fields=["staff", "last_day"], name="absence_staff_day_idx")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.first_day}–{self.last_day}"
