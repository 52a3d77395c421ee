"""Claims (理赔) on the case engine.

A Claim is the claim-specific record beside its `cases.Case` (process "claim"): the case
holds the state, the timeline and the regulatory clocks (the "what to submit" notice within
1 working day, the decision within 5 working days or 30 days when complex, the denial notice
within 3 days, the payment within 10 days of the agreement); the claim holds what settling it
needs — the policy and the people, the claimed and payable amounts with the deductions, the
investigation, the approvals within each role's authority limit and the payments.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ClaimType(models.TextChoices):
    MEDICAL = "medical", _("Medical expenses")  # 医疗费用
    HOSPITAL_CASH = "hospital_cash", _("Hospital cash")  # 住院津贴
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness")  # 重疾
    ACCIDENT = "accident", _("Accident")  # 意外伤害
    DISABILITY = "disability", _("Disability")  # 伤残
    DEATH = "death", _("Death")  # 身故
    PREMIUM_WAIVER = "premium_waiver", _("Premium waiver")  # 豁免保费


class Complexity(models.TextChoices):
    SIMPLE = "simple", _("Simple")  # decision within 5 working days
    COMPLEX = "complex", _("Complex")  # decision within 30 days


class Decision(models.TextChoices):
    PAID = "paid", _("Closed: paid")  # 结案-给付
    DECLINED = "declined", _("Closed: declined")  # 拒赔
    WITHDRAWN = "withdrawn", _("Closed: withdrawn")  # 撤案


class DeductionReason(models.TextChoices):
    """Why part of the covered amount is not paid (理算扣除项)."""

    SOCIAL_INSURANCE = "social_insurance", _("Paid by social insurance")  # 医保已报销部分
    DEDUCTIBLE = "deductible", _("Deductible")  # 免赔额
    CO_PAY = "co_pay", _("Co-payment")  # 自付比例
    NOT_COVERED = "not_covered", _("Items not covered")  # 非保险责任/自费项目
    PREMIUM_OWED = "premium_owed", _("Premium owed in the grace period")  # 宽限期欠缴保费
    OTHER = "other", _("Other")


class InvestigationConclusion(models.TextChoices):
    CONFIRMED = "confirmed", _("Facts confirmed")  # 情况属实
    PARTLY = "partly", _("Partly confirmed")
    NOT_CONFIRMED = "not_confirmed", _("Facts not confirmed")  # 不属实


class ApprovalOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Decline approved")
    REFERRED = "referred", _("Above the approver's limit: referred")  # 超权限上报


class AuthorityLimit(models.Model):
    """The most a role may approve on one claim (核赔权限), seeded from
    authority_limits.toml; the Head of Service changes the table, not the code."""

    role = models.CharField(_("role"), max_length=32, unique=True)
    limit = models.DecimalField(_("authority limit"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Set when someone edits the row, so the seed never overwrites the edit.
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")
        ordering = ["limit", "role"]

    def __str__(self) -> str:
        return f"{self.role} ≤ {self.currency} {self.limit}"


class Claim(models.Model):
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="claim", verbose_name=_("case")
    )
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("policy"),
    )
    # The person who asks for the money (申请人) and the person the event happened to.
    claimant = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="claims_made",
        verbose_name=_("claimant"),
    )
    insured = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_insured",
        verbose_name=_("insured"),
    )
    claim_type = models.CharField(_("claim type"), max_length=20, choices=ClaimType.choices)
    event_date = models.DateField(_("date of the event"))
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    reported_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_amount = models.DecimalField(_("amount claimed"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # The handler's judgement at registration: the facts are clear (事实清楚), nothing to
    # investigate. One of the fast-track conditions.
    facts_clear = models.BooleanField(_("facts clear"), default=False)
    complexity = models.CharField(
        _("complexity"), max_length=8, choices=Complexity.choices, default=Complexity.SIMPLE
    )
    complex_reason = models.TextField(_("why complex"), blank=True)
    # Small-claim fast track (小额理赔快速通道): set by the services whenever the claim is
    # eligible; due the end of the report's local day (日清日结).
    is_fast_track = models.BooleanField(_("fast track"), default=False)
    fast_track_due_at = models.DateTimeField(_("fast-track target"), null=True, blank=True)
    # The product prices the premium by social-insurance status (有社保/无社保费率): only
    # then may the part paid by social insurance be deducted (seed: the regulator forbids it
    # otherwise).
    social_insurance_priced = models.BooleanField(
        _("premium priced by social-insurance status"), default=False
    )
    documents_notice_at = models.DateTimeField(_("told what to submit"), null=True, blank=True)
    documents_complete_at = models.DateTimeField(_("documents complete"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    covered_amount = models.DecimalField(
        _("amount within cover"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    deductions_total = models.DecimalField(
        _("deductions"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    payable_amount = models.DecimalField(
        _("amount payable"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    calculated_at = models.DateTimeField(_("calculated"), null=True, blank=True)
    calculated_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Copied from the decision clock when the claim is decided (the KPI reads the column,
    # so finished history without clock rows counts as well).
    decided_on_time = models.BooleanField(_("decided on time"), null=True)
    denial_reason = models.TextField(_("reason for the denial"), blank=True)
    denial_notified_at = models.DateTimeField(_("denial notice sent"), null=True, blank=True)
    denial_notice_on_time = models.BooleanField(_("denial notice on time"), null=True)
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)
    advance_paid_amount = models.DecimalField(
        _("advance paid"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    paid_amount = models.DecimalField(
        _("amount paid"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    payment_on_time = models.BooleanField(_("paid on time"), null=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            # The daily clean-up list: fast-track claims not yet paid or closed.
            models.Index(
                fields=["fast_track_due_at"],
                name="claim_fast_track_open_idx",
                condition=models.Q(is_fast_track=True, paid_at__isnull=True, decision=""),
            ),
            # The KPI page reads the claims reported in a period.
            models.Index(fields=["reported_at"], name="claim_reported_idx"),
            models.Index(fields=["policy", "id"], name="claim_policy_idx"),
        ]

    def __str__(self) -> str:
        return self.case.number if self.case_id else "claim"


class ClaimDocument(models.Model):
    """One document the customer is asked to submit (理赔申请材料), and when it came."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("document"), max_length=200)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["claim_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "name"], name="claim_document_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Investigation(models.Model):
    """A claim investigation (理赔调查/查勘) given to an investigator, with the findings."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="investigations")
    investigator = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        related_name="claim_investigations",
        verbose_name=_("investigator"),
    )
    reason = models.TextField(_("what to investigate"))
    requested_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.CharField(
        _("conclusion"), max_length=16, choices=InvestigationConclusion.choices, blank=True
    )
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True)

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        indexes = [
            # Workload: open investigations per investigator.
            models.Index(
                fields=["investigator", "id"],
                name="claim_investigation_open_idx",
                condition=models.Q(concluded_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}:{self.investigator_id}"


class Deduction(models.Model):
    """One deduction of the calculation (理算), with its reason."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="deductions")
    reason = models.CharField(_("reason"), max_length=20, choices=DeductionReason.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.reason} {self.amount}"


class ClaimApproval(models.Model):
    """One approval attempt: approved, a decline approved, or referred above the limit."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    limit = models.DecimalField(
        _("authority limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=ApprovalOutcome.choices)
    referred_to = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("claim approval")
        verbose_name_plural = _("claim approvals")
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.outcome}"


class ClaimPayment(models.Model):
    """Money paid on a claim; an advance (先行赔付) or the settlement. Each is a
    policies.Disbursement of kind "claim" as well, where the payouts are reported."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="payments")
    disbursement = models.OneToOneField(
        "policies.Disbursement", on_delete=models.PROTECT, related_name="claim_payment"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    method = models.CharField(_("method"), max_length=16)
    is_advance = models.BooleanField(_("advance payment"), default=False)
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("claim payment")
        verbose_name_plural = _("claim payments")
        ordering = ["claim_id", "id"]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.amount}"
