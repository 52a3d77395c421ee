"""SLA policies and the clocks they put on cases.

An SlaPolicy is a set of targets (first response, resolution, a regulatory deadline …);
opening a case starts one CaseClock per target. A clock keeps its running state (elapsed
time, pauses, extensions) as data and, denormalised beside it, the moments the queues ask
about (due, warning), so "breaching soon" is an index range, not a computation per row.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockMode(models.TextChoices):
    BUSINESS_HOURS = "business_hours", _("Business hours")  # work periods of the calendar
    WORKING_DAYS = "working_days", _("Working days")  # "within 5 working days"
    CALENDAR_DAYS = "calendar_days", _("Calendar days")  # "within 15 days"


class ClockStop(models.TextChoices):
    """What meets a target."""

    FIRST_RESPONSE = "first_response", _("First response to the customer")
    RESOLVED = "resolved", _("Case resolved")
    CLOSED = "closed", _("Case closed")


class SlaPolicy(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    code = models.SlugField(_("code"), max_length=48)  # first-response, resolution, regulatory
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    mode = models.CharField(_("counts in"), max_length=16, choices=ClockMode.choices)
    # Minutes for business-hour clocks, days for day clocks.
    amount = models.PositiveIntegerField(_("target"))
    warn_fraction = models.DecimalField(
        _("warn when this share remains"), max_digits=3, decimal_places=2, default=Decimal("0.20")
    )
    stops_on = models.CharField(_("met by"), max_length=16, choices=ClockStop.choices)
    # State categories in which this clock does not run. Regulatory complaint clocks pause
    # only for appraisal or mediation (PAUSED), internal targets also while waiting.
    pause_categories = models.JSONField(_("paused in"), default=list, blank=True)
    is_regulatory = models.BooleanField(_("regulatory deadline"), default=False)
    # Blank: the clock starts when the case is opened. A state code: it starts when the
    # case first enters that state (e.g. a complaint review's own 30 days).
    starts_in_state = models.SlugField(_("starts in state"), max_length=48, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["policy_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="sla_target_unique")]

    def __str__(self) -> str:
        return self.name


class CaseClock(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    target = models.ForeignKey(SlaTarget, on_delete=models.PROTECT, related_name="clocks")
    code = models.SlugField(max_length=48)
    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=16, choices=ClockMode.choices)
    stops_on = models.CharField(max_length=16, choices=ClockStop.choices)
    pause_categories = models.JSONField(default=list, blank=True)
    is_regulatory = models.BooleanField(default=False)
    # The serialised core.sla_clock.ClockState: elapsed, running since, pauses, extensions.
    state = models.JSONField(default=dict)
    # Denormalised from `state` at every change, for the queues and the escalation sweep.
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    is_running = models.BooleanField(default=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True)  # None while open; True met in time, False late
    # Set once by the sweep (or at a transition) when the moment passes: the timeline gets
    # one event each, however often the sweep runs.
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case clock")
        verbose_name_plural = _("case clocks")
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="case_clock_unique"),
        ]
        indexes = [
            # The clock sweep (cases.clocks.sweep): running clocks whose breach, or warning, is
            # not recorded yet, by due (warning) time. A recorded clock leaves the index, so
            # the sweep's range holds what is due now, not every breach of the open cases.
            models.Index(
                fields=["due_at"],
                name="clock_due_unrecorded_idx",
                condition=models.Q(is_running=True, breached_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="clock_warn_unrecorded_idx",
                condition=models.Q(is_running=True, warned_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.code}"
