"""Products, distribution (agents, intermediaries), policies and their money events."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProductLine(models.TextChoices):
    LIFE = "life", _("Life")
    HEALTH = "health", _("Health")
    ACCIDENT = "accident", _("Accident")
    ANNUITY = "annuity", _("Annuity")
    PARTICIPATING = "participating", _("Participating")  # 分红险
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
    MEDICAL = "medical", _("Medical")


class Term(models.TextChoices):
    LONG = "long", _("Long-term (over one year)")
    SHORT = "short", _("Short-term (one year or less)")


class PaymentMode(models.TextChoices):
    SINGLE = "single", _("Single premium")  # 趸交
    ANNUAL = "annual", _("Annual")
    SEMI_ANNUAL = "semi_annual", _("Semi-annual")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")


class Jurisdiction(models.TextChoices):
    MAINLAND = "CN", _("Mainland China")
    HONG_KONG = "HK", _("Hong Kong")
    SINGAPORE = "SG", _("Singapore")


class Product(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    line = models.CharField(_("line"), max_length=20, choices=ProductLine.choices)
    term = models.CharField(_("term"), max_length=8, choices=Term.choices)
    # Days of cooling-off (犹豫期) by jurisdiction, e.g. {"CN": 15, "HK": 21, "SG": 14}.
    cooling_off_days = models.JSONField(_("cooling-off days"), default=dict)
    payment_modes = models.JSONField(_("allowed payment modes"), default=list)
    callback_required = models.BooleanField(_("callback required"), default=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IntermediaryKind(models.TextChoices):
    BANK = "bank", _("Bank (bancassurance)")
    BROKER = "broker", _("Broker")
    AGENCY = "agency", _("Agency")


class Intermediary(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=IntermediaryKind.choices)

    class Meta:
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A sales agent (业务员). Their phone is known so a customer record carrying it is found."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="agents")
    phone_e164 = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Channel(models.TextChoices):
    AGENCY = "agency", _("Agency")  # 个险
    BANCASSURANCE = "bancassurance", _("Bancassurance")  # 银保
    BROKER = "broker", _("Broker / intermediary")
    DIRECT = "direct", _("Direct")
    GROUP = "group", _("Group")  # 团险


class PolicyStatus(models.TextChoices):
    """The lifecycle of DOMAIN.md §3; every change is a PolicyStatusChange row."""

    APPLIED = "applied", _("Applied")
    UNDERWRITING = "underwriting", _("Underwriting")
    ISSUED = "issued", _("Issued (in cooling-off)")
    IN_FORCE = "in_force", _("In force")
    IN_GRACE = "in_grace", _("In grace period")  # 宽限期, 60 days after the due date
    LAPSED = "lapsed", _("Lapsed")  # 中止; reinstatable within two years
    REINSTATED = "reinstated", _("Reinstated")  # 复效
    CANCELLED_COOLING_OFF = "cancelled_cooling_off", _("Cancelled in cooling-off")  # terminal
    SURRENDERED = "surrendered", _("Surrendered")  # terminal
    MATURED = "matured", _("Matured")  # terminal
    CLAIM_TERMINATED = "claim_terminated", _("Terminated by claim")  # terminal
    DECLINED = "declined", _("Declined")  # terminal
    WITHDRAWN = "withdrawn", _("Withdrawn")  # terminal, 撤单


TERMINAL_STATUSES = frozenset(
    {
        PolicyStatus.CANCELLED_COOLING_OFF,
        PolicyStatus.SURRENDERED,
        PolicyStatus.MATURED,
        PolicyStatus.CLAIM_TERMINATED,
        PolicyStatus.DECLINED,
        PolicyStatus.WITHDRAWN,
    }
)


class PaymentMethod(models.TextChoices):
    AUTO_DEBIT = "auto_debit", _("Bank auto-debit")  # 代扣
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")


class Policy(models.Model):
    number = models.CharField(_("policy number"), max_length=32, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="policies")
    # No index of its own: policy_branch_status_idx (branch, status) serves lookups by branch.
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, related_name="policies", db_index=False
    )
    policyholder = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="policies_held"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, null=True, blank=True, related_name="policies"
    )
    intermediary = models.ForeignKey(
        Intermediary, on_delete=models.PROTECT, null=True, blank=True, related_name="policies"
    )
    source_system = models.CharField(_("source system"), max_length=32, blank=True)
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=2, choices=Jurisdiction.choices, default="CN"
    )
    status = models.CharField(_("status"), max_length=24, choices=PolicyStatus.choices)
    application_date = models.DateField(_("application date"))
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    receipt_signed_date = models.DateField(_("receipt signed"), null=True, blank=True)
    cooling_off_end = models.DateField(_("cooling-off ends"), null=True, blank=True)
    paid_to_date = models.DateField(_("paid to"), null=True, blank=True)
    next_due_date = models.DateField(_("next premium due"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term in years"), default=1)
    sum_assured = models.DecimalField(_("sum assured"), max_digits=14, decimal_places=2)
    premium = models.DecimalField(_("premium"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_mode = models.CharField(_("payment mode"), max_length=16, choices=PaymentMode.choices)
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        indexes = [
            models.Index(fields=["branch", "status"], name="policy_branch_status_idx"),
            models.Index(fields=["next_due_date"], name="policy_next_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class PolicyPartyRole(models.TextChoices):
    INSURED = "insured", _("Insured")
    BENEFICIARY = "beneficiary", _("Beneficiary")


class PolicyParty(models.Model):
    """An insured or a beneficiary of a policy (the policyholder is on Policy itself)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="parties")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="policy_roles"
    )
    role = models.CharField(_("role"), max_length=16, choices=PolicyPartyRole.choices)
    share = models.DecimalField(  # beneficiaries' shares in percent; sum to 100 per policy
        _("share %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    relation_to_insured = models.CharField(_("relation to insured"), max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "customer", "role"], name="policy_party_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.role} {self.customer_id}"


class PolicyStatusChange(models.Model):
    """The policy's status history: one row per change, never edited."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=24, choices=PolicyStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=PolicyStatus.choices)
    changed_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["changed_on", "id"]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.from_status} → {self.to_status}"


class MandateStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending bank confirmation")
    REVOKED = "revoked", _("Revoked")
    FAILED = "failed", _("Rejected by the bank")
    MISSING = "missing", _("Missing")  # auto-debit chosen but no authorisation on file


class BankMandate(models.Model):
    """The bank account a policy pays from (auto-debit) and is paid to."""

    policy = models.OneToOneField(Policy, on_delete=models.CASCADE, related_name="mandate")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_encrypted = models.BinaryField(editable=False)
    account_last4 = models.CharField(max_length=4, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=MandateStatus.choices)
    is_dormant = models.BooleanField(_("dormant account"), default=False)  # 睡眠账户/旧存折
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.bank_name} ****{self.account_last4}"


class PremiumStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    WAIVED = "waived", _("Waived")


class PremiumDue(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="premiums")
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=8, choices=PremiumStatus.choices)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    is_first_premium = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "due_date"], name="premium_due_unique")
        ]
        ordering = ["due_date"]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.due_date} {self.amount}"


class CollectionResult(models.TextChoices):
    SUCCESS = "success", _("Collected")
    INSUFFICIENT_FUNDS = "insufficient_funds", _("Insufficient funds")
    ACCOUNT_CLOSED = "account_closed", _("Account closed")
    ACCOUNT_CHANGED = "account_changed", _("Account changed (e.g. card upgraded)")
    MANDATE_MISSING = "mandate_missing", _("No mandate on file")
    OTHER = "other", _("Other bank error")


class CollectionAttempt(models.Model):
    premium = models.ForeignKey(PremiumDue, on_delete=models.CASCADE, related_name="attempts")
    attempted_on = models.DateField(_("attempted on"))
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    result = models.CharField(_("result"), max_length=24, choices=CollectionResult.choices)
    bank_code = models.CharField(_("bank result code"), max_length=16, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["premium", "attempted_on", "method"], name="collection_attempt_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.premium_id} {self.attempted_on} {self.result}"


class DisbursementKind(models.TextChoices):
    SURVIVAL_BENEFIT = "survival_benefit", _("Survival benefit")  # 生存金
    MATURITY = "maturity", _("Maturity benefit")
    CLAIM = "claim", _("Claim payment")
    SURRENDER = "surrender", _("Surrender value")
    REFUND = "refund", _("Premium refund")


class DisbursementStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")  # e.g. dormant passbook, outdated card
    RETURNED = "returned", _("Returned by the bank")


class Disbursement(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="disbursements")
    kind = models.CharField(_("kind"), max_length=20, choices=DisbursementKind.choices)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(_("status"), max_length=12, choices=DisbursementStatus.choices)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "kind", "due_date"], name="disbursement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.kind} {self.due_date}"
