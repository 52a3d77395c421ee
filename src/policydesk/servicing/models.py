"""Policy servicing (保全) on the case engine.

The catalogue (`ServicingItemType`, seeded from catalogue.toml) says for each kind of item who
may apply, which documents make an application complete, which eligibility rules hold (named
rule codes with parameters, evaluated by `eligibility.py`) and what the item does to the
policy. A `ServicingItem` is one application beside its `cases.Case` (process "servicing"):
the case holds the state, the timeline and the engine's clocks; the item holds the
regulatory moments (accepted within 2 working days, one-time correction notice within 5,
done within 5 working days of approval or of full payment), the money and the effect.

An applied effect is a `PolicyEndorsement` on the policy's history, with the policy's values
before and after; a done item is never undone — a new item reverses it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Effect(models.TextChoices):
    """What an item does to the policy once done (applied by services.py)."""

    CONTACT_CHANGE = "contact_change", _("Contact change")  # 联系方式变更
    BANK_ACCOUNT_CHANGE = "bank_account_change", _("Bank account change")  # 账户变更
    PAYMENT_MODE_CHANGE = "payment_mode_change", _("Payment mode change")  # 交费方式变更
    BENEFICIARY_CHANGE = "beneficiary_change", _("Beneficiary change")  # 受益人变更
    POLICYHOLDER_CHANGE = "policyholder_change", _("Policyholder change")  # 投保人变更
    COOLING_OFF_CANCELLATION = "cooling_off_cancellation", _("Cancellation in cooling-off")
    SURRENDER = "surrender", _("Surrender")  # 退保
    REINSTATEMENT = "reinstatement", _("Reinstatement")  # 复效
    POLICY_LOAN = "policy_loan", _("Policy loan")  # 保单借款
    SURVIVAL_BENEFIT = "survival_benefit", _("Survival benefit claim")  # 生存金领取
    MATURITY = "maturity", _("Maturity claim")  # 满期金领取


class MoneyFlow(models.TextChoices):
    NONE = "none", _("No money")
    IN = "in", _("Money in (the customer pays)")  # e.g. reinstatement arrears
    OUT = "out", _("Money out (we pay)")  # refund, surrender value, loan, benefits


class ApplicantRole(models.TextChoices):
    """Who stands at the counter for the application."""

    POLICYHOLDER = "policyholder", _("Policyholder")  # 投保人
    INSURED = "insured", _("Insured")  # 被保险人
    BENEFICIARY = "beneficiary", _("Beneficiary")  # 受益人
    PROXY = "proxy", _("Authorised proxy")  # 代办人, with a power of attorney


class SurrenderReason(models.TextChoices):
    """Why the customer surrenders (退保原因): reported by reason (DOMAIN.md §4 KPI 18)."""

    MIS_SELLING = "mis_selling", _("Mis-selling claimed")  # 销售误导
    EXAGGERATED_RETURNS = "exaggerated_returns", _("Returns were exaggerated")  # 夸大收益
    UNAFFORDABLE_PREMIUM = "unaffordable_premium", _("Premium unaffordable")  # 无力续交
    DISSATISFIED_DIVIDENDS = "dissatisfied_dividends", _("Dissatisfied with dividends")
    NEED_CASH = "need_cash", _("Needs the cash")  # 急需用钱
    BETTER_ELSEWHERE = "better_elsewhere", _("Bought a product elsewhere")
    OTHER = "other", _("Other")


class ServicingItemType(models.Model):
    """One entry of the servicing catalogue (保全项目), seeded from catalogue.toml."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    effect = models.CharField(_("effect"), max_length=32, choices=Effect.choices)
    money = models.CharField(_("money"), max_length=8, choices=MoneyFlow.choices)
    # Approval leads to "awaiting payment" first: the 5 working days run from full payment.
    needs_payment = models.BooleanField(_("paid before completion"), default=False)
    # [{"rule": "policy_status_in", "statuses": [...]}, ...]; see eligibility.RULES.
    rules = models.JSONField(_("eligibility rules"), default=list, blank=True)
    # ApplicantRole values.
    applicant_roles = models.JSONField(_("who may apply"), default=list)
    # [{"code": "id-card", "name": "身份证件", "name_en": "ID document"}, ...]
    documents = models.JSONField(_("required documents"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Set when the Head of Service edits the row, so the catalogue file never overwrites it.
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("servicing item type")
        verbose_name_plural = _("servicing catalogue")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def document_codes(self) -> list[str]:
        return [str(document["code"]) for document in self.documents]


class ServicingItem(models.Model):
    """One servicing application (保全申请) beside its case."""

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="servicing_item",
        verbose_name=_("case"),
    )
    item_type = models.ForeignKey(
        ServicingItemType, on_delete=models.PROTECT, related_name="items", verbose_name=_("item")
    )
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.PROTECT,
        related_name="servicing_items",
        verbose_name=_("policy"),
    )
    applicant_role = models.CharField(_("applicant"), max_length=16, choices=ApplicantRole.choices)
    # Item-specific facts (new contact, target payment mode, beneficiaries …); secrets such
    # as a bank account number are stored encrypted, never in clear.
    details = models.JSONField(_("details"), default=dict, blank=True)
    documents = models.JSONField(_("documents received"), default=list, blank=True)
    surrender_reason = models.CharField(
        _("surrender reason"), max_length=32, choices=SurrenderReason.choices, blank=True
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # A new item that reverses a done one (a done item is never undone).
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    # The regulatory moments (DOMAIN.md §2), kept here so the KPIs are aggregates.
    received_at = models.DateTimeField(_("received"))
    accept_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    notice_due_at = models.DateTimeField(_("correction notice by"), null=True, blank=True)
    correction_notice_at = models.DateTimeField(_("correction notice sent"), null=True, blank=True)
    correction_text = models.TextField(_("correction notice"), blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_at = models.DateTimeField(_("fully paid"), null=True, blank=True)
    complete_due_at = models.DateTimeField(_("done by"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    accepted_on_time = models.BooleanField(_("accepted on time"), null=True)
    completed_on_time = models.BooleanField(_("completed on time"), null=True)
    # Working days from receipt to done (0 = done on the day of receipt).
    duration_working_days = models.PositiveSmallIntegerField(
        _("working days to done"), null=True, blank=True
    )
    # Written set-based by the demo's year of history: no effect was replayed on the policy.
    is_historic = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("servicing item")
        verbose_name_plural = _("servicing items")
        indexes = [
            # The KPI page: items received in a period, by type.
            models.Index(fields=["received_at", "item_type"], name="servicing_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_type.code} {self.policy_id}"


class PolicyEndorsement(models.Model):
    """An effect applied to a policy (批单): the policy's history, never edited."""

    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, related_name="endorsements"
    )
    item = models.OneToOneField(ServicingItem, on_delete=models.PROTECT, related_name="endorsement")
    effect = models.CharField(_("effect"), max_length=32, choices=Effect.choices)
    effective_on = models.DateField(_("effective on"))
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("policy endorsement")
        verbose_name_plural = _("policy endorsements")
        ordering = ["policy_id", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.effect} {self.effective_on}"
