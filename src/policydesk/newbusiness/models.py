"""New-business applications (契约/投保件) on the case engine.

An Application is the new-business record beside its `cases.Case` (process "newbusiness"):
the case holds the state (the pipeline stage), the timeline and the regulatory clocks (the
5-working-day one-time defect notice, 15 working days to issue without a medical exam, 15
working days to decide after the exam report); the application holds what the back office
works with — where it came from (source system, sales channel, agent, intermediary), the
proposal (product, parties, sum assured, premium), the initial-review defects and the one
notice about them, scan QC, underwriting requirements and the medical exam, the premium, the
issued policy, delivery and receipt, and how it left the pipeline (exit and reason code).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SourceSystem(models.TextChoices):
    """Where the application is keyed and issued."""

    LONG_TERM_CORE = "long_term_core", _("Individual long-term (core system V8)")  # 个险长期 V8
    SHORT_TERM_CARD = "short_term_card", _("Short-term card policy")  # 短险卡折
    SHORT_TERM_GROUP = "short_term_group", _("Short-term group / batch")  # 短险团单/汇交件


class ExitKind(models.TextChoices):
    """How an application leaves the pipeline without becoming a policy."""

    WITHDRAWN = "withdrawn", _("Withdrawn")  # 撤单: the applicant or agent takes it back
    REFUNDED = "refunded", _("Returned and refunded")  # 退单: returned, premium paid back
    DECLINED = "declined", _("Declined")  # 拒保: underwriting refuses the risk
    POSTPONED = "postponed", _("Postponed")  # 延期: underwriting defers the risk


class ScanResult(models.TextChoices):
    PASSED = "passed", _("Passed")  # images complete and legible
    FAILED = "failed", _("Failed: rescan")  # missing or illegible pages


class RequirementKind(models.TextChoices):
    """What underwriting asks for before it decides (核保照会)."""

    MEDICAL_EXAM = "medical_exam", _("Medical exam")  # 体检
    HEALTH_DECLARATION = "health_declaration", _("Health declaration")  # 健康告知问卷
    FINANCIAL_PROOF = "financial_proof", _("Proof of income or assets")  # 财务证明
    SURVIVAL_CHECK = "survival_check", _("Survival check visit")  # 生存调查
    PROBLEM_CASE = "problem_case", _("Problem case to clarify")  # 问题件
    OTHER = "other", _("Other")


class Application(models.Model):
    """One application for insurance (投保申请), from receipt to archive or exit."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="application", verbose_name=_("case")
    )
    source_system = models.CharField(
        _("source system"), max_length=20, choices=SourceSystem.choices
    )
    # The sales channel (个险, 银保, 中介 …); the case's channel says how it reached us.
    channel = models.CharField(_("sales channel"), max_length=16)
    agent = models.ForeignKey(
        "policies.Agent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("agent"),
    )
    intermediary = models.ForeignKey(
        "policies.Intermediary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("intermediary"),
    )
    form_number = models.CharField(_("application form number"), max_length=32, blank=True)
    product = models.ForeignKey(
        "policies.Product",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("product"),
    )
    applicant = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="applications_made",
        verbose_name=_("applicant"),
    )
    # Individual business names one insured; a group application has its insured list.
    insured = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications_insured",
        verbose_name=_("insured"),
    )
    sum_assured = models.DecimalField(_("proposed sum assured"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("proposed premium"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    term_years = models.PositiveSmallIntegerField(_("term in years"), default=1)
    payment_mode = models.CharField(_("payment mode"), max_length=16)
    payment_method = models.CharField(_("payment method"), max_length=16)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    received_by = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    # The pipeline stage (the case's state code) and when it was entered, kept by the
    # services so the stalled radar filters on this row alone.
    stage = models.CharField(_("stage"), max_length=48)
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    scan_result = models.CharField(
        _("scan QC"), max_length=8, choices=ScanResult.choices, blank=True
    )
    scan_note = models.CharField(_("scan QC note"), max_length=500, blank=True)
    scan_checked_at = models.DateTimeField(_("scan checked"), null=True, blank=True)
    exam_required = models.BooleanField(_("medical exam required"), default=False)
    exam_appointment_at = models.DateTimeField(_("exam appointment"), null=True, blank=True)
    exam_place = models.CharField(_("exam place"), max_length=200, blank=True)
    exam_report_received_at = models.DateTimeField(_("exam report received"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("underwriting accepted"), null=True, blank=True)
    # Premium collection: refused by the customer or failed at the bank; the withdrawal list
    # reads these (撤单清单).
    premium_refused_at = models.DateTimeField(_("premium refused"), null=True, blank=True)
    collection_failures = models.PositiveSmallIntegerField(_("failed collections"), default=0)
    premium_received_on = models.DateField(_("premium received"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("policy"),
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    receipt_signed_on = models.DateField(_("receipt signed"), null=True, blank=True)
    cooling_off_end = models.DateField(_("cooling-off ends"), null=True, blank=True)
    callback_done_at = models.DateTimeField(_("callback done"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    exit_kind = models.CharField(_("exit"), max_length=12, choices=ExitKind.choices, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=48, blank=True)
    exit_note = models.TextField(_("exit note"), blank=True)
    exited_at = models.DateTimeField(_("exited"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            # The register's filters, walked as keyset pages on id.
            models.Index(fields=["source_system", "id"], name="nb_source_idx"),
            models.Index(fields=["stage", "id"], name="nb_stage_idx"),
            # The radar: open applications of a stage older than its threshold.
            models.Index(
                fields=["stage", "stage_entered_at"],
                name="nb_radar_idx",
                condition=models.Q(exit_kind="", archived_at__isnull=True),
            ),
            # The withdrawal list: awaiting premium, refused or failed collection.
            models.Index(
                fields=["premium_refused_at"],
                name="nb_withdrawal_idx",
                condition=models.Q(stage="awaiting-premium"),
            ),
            # KPIs by period.
            models.Index(fields=["received_at"], name="nb_received_idx"),
            models.Index(fields=["exit_kind", "exit_reason"], name="nb_exit_idx"),
        ]

    def __str__(self) -> str:
        return self.case.number if self.case_id else "application"

    @property
    def is_open(self) -> bool:
        return not self.exit_kind and self.archived_at is None


class DefectNotice(models.Model):
    """The one-time notice of an application's defects (一次性告知问题件通知), sent once."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="defect_notice"
    )
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("notice text"))
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)

    class Meta:
        verbose_name = _("defect notice")
        verbose_name_plural = _("defect notices")

    def __str__(self) -> str:
        return f"{self.application_id} {self.sent_at:%Y-%m-%d}"


class Defect(models.Model):
    """One defect found at initial review (a code of defects.toml, with what was seen)."""

    notice = models.ForeignKey(DefectNotice, on_delete=models.CASCADE, related_name="defects")
    code = models.CharField(_("defect"), max_length=48)
    note = models.CharField(_("what was seen"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["notice_id", "id"]

    def __str__(self) -> str:
        return self.code


class Requirement(models.Model):
    """An underwriting requirement (照会): raised, then met."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="requirements"
    )
    kind = models.CharField(_("requirement"), max_length=24, choices=RequirementKind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    raised_at = models.DateTimeField(_("raised"))
    raised_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    met_at = models.DateTimeField(_("met"), null=True, blank=True)

    class Meta:
        verbose_name = _("underwriting requirement")
        verbose_name_plural = _("underwriting requirements")
        ordering = ["application_id", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()


class Reminder(models.Model):
    """A chase of the agent (or the applicant) about a stalled application. Agents are not
    staff users: who was chased is recorded by name and agent."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reminders")
    agent = models.ForeignKey(
        "policies.Agent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chased = models.CharField(_("who was chased"), max_length=200)
    stage = models.CharField(_("stage"), max_length=48)
    note = models.CharField(_("note"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [models.Index(fields=["application", "id"], name="nb_reminder_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.chased}"


class InsuredMember(models.Model):
    """One insured person of a group or batch application (团单/汇交件被保险人清单)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="insured_members"
    )
    row_number = models.PositiveIntegerField(_("row"))
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(_("ID document type"), max_length=24)
    id_number_encrypted = models.BinaryField(editable=False)
    id_number_last4 = models.CharField(max_length=4)
    birth_date = models.DateField(_("birth date"))
    gender = models.CharField(_("gender"), max_length=1)
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("premium"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("insured member")
        verbose_name_plural = _("insured members")
        ordering = ["application_id", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "row_number"], name="nb_member_row_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class InsuredListImport(models.Model):
    """One import of a group application's insured list: accepted (the list replaced) or
    refused as a whole with its report."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="list_imports"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    accepted = models.BooleanField(_("accepted"))
    rows = models.PositiveIntegerField(_("rows"))
    # [{"row": 3, "column": "id_number", "message": "…"}]
    errors = models.JSONField(_("problems"), default=list, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("insured-list import")
        verbose_name_plural = _("insured-list imports")
        ordering = ["application_id", "-id"]

    def __str__(self) -> str:
        return self.file_name
