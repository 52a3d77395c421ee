"""Complaints (投诉): the first process on the case engine.

A Complaint is the complaint-specific record beside its `cases.Case` (process "complaint"):
the case holds the state, the timeline and the clocks (15 days, 30 if complex, +30 with
senior approval, appraisal and mediation paused, the review's own 30 days); the complaint
holds what the regulator asks about — root cause, links to the salesperson and the
intermediary, the outcome and compensation, the customer's notice and review, and any
escalation to an external body.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RootCause(models.Model):
    """One entry of the root-cause taxonomy (投诉成因), seeded from root_causes.toml."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)  # zh-Hans, as the regulator reports it
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # A retired cause stays on the complaints that carry it but is not offered any more.
    is_active = models.BooleanField(_("active"), default=True)
    # Set when the Head of Service edits the row, so the seed never overwrites the edit.
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")  # 诉求成立
    PARTLY_UPHELD = "partly_upheld", _("Partly upheld")  # 部分成立
    NOT_UPHELD = "not_upheld", _("Not upheld")  # 不成立
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 客户撤诉


class NoticeChannel(models.TextChoices):
    """How the customer was told of the decision (the notice must reach them)."""

    LETTER = "letter", _("Letter")  # 书面
    PHONE = "phone", _("Phone")  # recorded call
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    COUNTER = "counter", _("At the counter")  # handed over, receipt signed
    SELF_SERVICE = "self_service", _("App or web")


class Complaint(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="complaint", verbose_name=_("case")
    )
    # Defaulted from the case's policy at intake; changeable when the customer names another.
    agent = models.ForeignKey(
        "policies.Agent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("agent"),
    )
    intermediary = models.ForeignKey(
        "policies.Intermediary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("intermediary"),
    )
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("root cause"),
    )
    # Complex: the regulatory clock counts 30 days instead of 15.
    is_complex = models.BooleanField(_("complex"), default=False)
    complex_reason = models.TextField(_("why complex"), blank=True)
    # Channel "regulator" (监管转办): the regulator's reference and the day it reached us.
    regulator_reference = models.CharField(_("regulator's reference"), max_length=64, blank=True)
    regulator_received_on = models.DateField(
        _("received from the regulator"), null=True, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    compensation_amount = models.DecimalField(
        _("compensation"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    compensation_currency = models.CharField(_("currency"), max_length=3, blank=True)
    notified_at = models.DateTimeField(_("customer told"), null=True, blank=True)
    notice_channel = models.CharField(
        _("told by"), max_length=16, choices=NoticeChannel.choices, blank=True
    )
    notice_text = models.TextField(_("notice to the customer"), blank=True)
    # End of the 30th calendar day after the notice (branch time zone): a review request
    # must arrive by then.
    review_request_due_at = models.DateTimeField(_("review request due"), null=True, blank=True)
    review_requested_at = models.DateTimeField(_("review requested"), null=True, blank=True)
    review_reason = models.TextField(_("reason for the review"), blank=True)
    review_outcome = models.CharField(
        _("review outcome"), max_length=16, choices=Outcome.choices, blank=True
    )
    review_decided_at = models.DateTimeField(_("review decided"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            # Register filters (root cause, outcome) walked as keyset pages on id.
            models.Index(fields=["root_cause", "id"], name="complaint_root_cause_idx"),
            models.Index(fields=["outcome", "id"], name="complaint_outcome_idx"),
        ]

    def __str__(self) -> str:
        return self.case.number if self.case_id else "complaint"

    @property
    def final_decision_at(self) -> dt.datetime | None:
        """The insurer's final decision: the review's when there was one."""
        return self.review_decided_at or self.decided_at


class ExternalBody(models.TextChoices):
    CN_REGULATOR = "cn_regulator", _("National Financial Regulatory Administration")
    HK_ICB = "hk_icb", _("Insurance Complaints Bureau (Hong Kong)")
    SG_FIDREC = "sg_fidrec", _("FIDReC (Singapore)")


class EscalationOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Decided for the customer")
    PARTLY_UPHELD = "partly_upheld", _("Partly for the customer")
    NOT_UPHELD = "not_upheld", _("Decided for the insurer")
    SETTLED = "settled", _("Settled")
    NOT_ACCEPTED = "not_accepted", _("Not accepted by the body")  # outside its remit
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ExternalEscalation(models.Model):
    """The customer took the complaint to an external body (监管/调解机构); recorded, with
    the eligibility warnings found when it was recorded (see services.escalation_warnings)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    body = models.CharField(_("external body"), max_length=16, choices=ExternalBody.choices)
    # The regulator's local office (e.g. 莆田监管分局) when body is the CN regulator.
    office = models.CharField(_("office"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    filed_on = models.DateField(_("filed on"))
    amount_claimed = models.DecimalField(
        _("amount claimed"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=EscalationOutcome.choices,
        default=EscalationOutcome.PENDING,
    )
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    # [{"code": "over_limit", "message": "…"}]: limits or window the filing seems to exceed.
    warnings = models.JSONField(_("eligibility warnings"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("external escalation")
        verbose_name_plural = _("external escalations")
        ordering = ["complaint_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_body_display()} {self.reference}".strip()
