"""Account monitoring (客户账户监控): monitoring runs and the work items they raise, the
communication log, account reviews (账户检视) and the lapse-risk model with its scores."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Rule(models.TextChoices):
    """What a work item watches; each is one set-based selection in rules.py."""

    PREMIUM_DUE = "premium_due", _("Premium due soon")  # reminder before the due date
    DEBIT_RETRY = "debit_retry", _("Auto-debit failed: insufficient funds")  # remind + retry
    BANK_ACCOUNT_CHANGE = "bank_account_change", _("Auto-debit failed: account closed or changed")
    MANDATE_DRIVE = "mandate_drive", _("Auto-debit mandate missing")  # 代扣授权补签
    GRACE = "grace", _("In the grace period")  # 宽限期 countdown, 60 days after the due date
    LAPSE_NOTICE = "lapse_notice", _("Lapsed: send the lapse notice")  # within 10 working days
    REINSTATEMENT = "reinstatement", _("Lapsed: reinstatement still possible")  # 复效, 2 years
    SURVIVAL_BENEFIT = "survival_benefit", _("Survival benefit due")  # 生存金
    MATURITY = "maturity", _("Maturity benefit due")  # 满期金
    SHORT_TERM_RENEWAL = "short_term_renewal", _("Short-term policy to renew")  # 短期险续保
    ANNUAL_CONVERSION = "annual_conversion", _("Monthly premiums: offer annual mode")  # 月缴转年缴
    ACCOUNT_REVIEW = "account_review", _("Periodic account review due")  # 定期检视


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")  # closed with an outcome


class Outcome(models.TextChoices):
    """How a work item was closed."""

    REMINDED = "reminded", _("Customer reminded")
    PAID = "paid", _("Paid")
    RETRY_SCHEDULED = "retry_scheduled", _("Debit retry scheduled")
    ACCOUNT_UPDATED = "account_updated", _("Bank account updated")
    SERVICING_OPENED = "servicing_opened", _("Servicing item opened")  # 保全
    MANDATE_SIGNED = "mandate_signed", _("Mandate signed")
    TRANSFER_ARRANGED = "transfer_arranged", _("Bank transfer arranged")
    PAID_IN_CASH = "paid_in_cash", _("Paid out in cash")
    NOTICE_SENT = "notice_sent", _("Lapse notice sent")
    REINSTATED = "reinstated", _("Reinstated")  # 复效
    RENEWED = "renewed", _("Renewed")
    CONVERTED = "converted", _("Converted to annual premiums")
    REVIEWED = "reviewed", _("Account reviewed")
    DECLINED = "declined", _("Customer declined")
    UNREACHABLE = "unreachable", _("Customer unreachable")
    NOT_NEEDED = (
        "not_needed",
        _("No longer needed"),
    )  # by hand, or the run: the rule no longer applies
    CONDITION_CLEARED = "condition_cleared", _("Condition cleared")  # by the run, see Cleared


class Cleared(models.TextChoices):
    """Why the run closed a work item by itself (system-closed): what it saw in the books."""

    PREMIUM_PAID = "premium_paid", _("The premium was paid")
    DEBIT_SUCCEEDED = "debit_succeeded", _("A later auto-debit succeeded")
    MANDATE_ON_FILE = "mandate_on_file", _("A mandate is on file")
    REINSTATED = "reinstated", _("The policy was reinstated")
    PAYOUT_PAID = "payout_paid", _("The payout was paid")
    RENEWED = "renewed", _("The policy was renewed")
    CONVERTED = "converted", _("The premiums are no longer monthly")
    REVIEWED = "reviewed", _("The account was reviewed")
    ACCOUNT_CHANGED = "account_changed", _("The bank-account-change servicing item is done")
    NO_LONGER_APPLIES = "no_longer_applies", _("The policy's status or payment changed")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class MonitoringRun(models.Model):
    """One pass of every rule over the book as of a day (nightly or on demand)."""

    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices)
    requested_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rules_done = models.PositiveSmallIntegerField(default=0)  # progress, out of len(Rule)
    created = models.JSONField(default=dict)  # {rule: work items created}
    closed = models.JSONField(default=dict)  # {rule: work items the run closed by itself}
    detail = models.TextField(blank=True)

    class Meta:
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"run {self.pk} as of {self.as_of}"

    @property
    def created_total(self) -> int:
        return sum(int(v) for v in self.created.values())

    @property
    def progress_percent(self) -> int:
        return round(100 * self.rules_done / len(Rule))


class WorkItem(models.Model):
    """Something a relationship manager should do for a customer, raised by a rule.

    (rule, policy, period) is unique — period is the rule's natural date (premium due date,
    lapse date, payout date, the year) — so a second run inserts nothing it made before.

    The columns the run fills on insert (customer, policy, branch, owner, run) carry no
    database foreign-key constraint: the rows come from one INSERT ... SELECT joining the
    very rows they point at, and PostgreSQL checks a constraint with one trigger call per
    row and key, which made up half of the first run over 2,000,000 policies (see
    docs/monitoring.md). Django still applies on_delete for ORM deletes; customers and
    policies are not deleted in PolicyDesk (they end with a status).
    """

    rule = models.CharField(_("rule"), max_length=24, choices=Rule.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True)  # e.g. the bank's result
    period = models.DateField(_("period"))
    # The foreign keys carry no index of their own: the composite indexes and unique keys
    # below lead with them (the run inserts up to a million rows; each index costs).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
        db_index=False,
        db_constraint=False,
    )
    policy = models.ForeignKey(
        "policies.Policy",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
        db_index=False,
        db_constraint=False,
    )
    branch = models.ForeignKey(
        "org.Branch",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    owner = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        db_index=False,
        db_constraint=False,
    )
    priority = models.PositiveIntegerField(_("priority"), default=0)  # rule weight × risk
    due_on = models.DateField(_("due"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)  # grace end, notice...
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Set when the run closed the item by itself (system-closed), with what it saw.
    closed_by_run = models.ForeignKey(
        MonitoringRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    cleared_by = models.CharField(
        _("cleared by"), max_length=24, choices=Cleared.choices, blank=True
    )
    # The bank-account-change servicing item (保全: 变更账户) the relationship manager opened
    # from this item, on the customer's application; the run closes the item once it is done.
    servicing_item = models.ForeignKey(
        "servicing.ServicingItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="monitoring_work_items",
        verbose_name=_("servicing item"),
        db_index=False,
    )
    run = models.ForeignKey(
        MonitoringRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            # The run's idempotence: INSERT ... ON CONFLICT DO NOTHING leans on these.
            # Rule first: the run's anti-join and its clearances read one rule's items.
            models.UniqueConstraint(
                fields=["rule", "period", "policy"],
                condition=Q(policy__isnull=False),
                name="monitoring_item_policy_unique",
            ),
            models.UniqueConstraint(
                fields=["rule", "period", "customer"],
                condition=Q(policy__isnull=True),
                name="monitoring_item_customer_unique",
            ),
        ]
        indexes = [
            # The worklist: open items of a branch (or an owner), highest priority first.
            models.Index(
                fields=["branch", "status", "-priority", "id"], name="mon_item_branch_idx"
            ),
            models.Index(fields=["owner", "status", "due_on"], name="mon_item_owner_idx"),
            models.Index(fields=["customer", "status"], name="mon_item_customer_idx"),
            # From a servicing item back to the work item it came from (few rows have one).
            models.Index(
                fields=["servicing_item"],
                condition=Q(servicing_item__isnull=False),
                name="mon_item_servicing_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.policy_id or self.customer_id} {self.period}"

    @property
    def closed_automatically(self) -> bool:
        """System-closed: the run closed it when its condition cleared."""
        return self.closed_by_run_id is not None


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    VISIT = "visit", _("Visit")
    COUNTER = "counter", _("At the counter")
    WECHAT = "wechat", _("WeChat")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    CALL_BACK = "call_back", _("Asked to call back")
    REFUSED = "refused", _("Refused")
    MESSAGE_LEFT = "message_left", _("Message left")


class Communication(models.Model):
    """One contact with a customer: the communication log (沟通记录)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    work_item = models.ForeignKey(
        WorkItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="communications"
    )
    channel = models.CharField(_("channel"), max_length=12, choices=ContactChannel.choices)
    content = models.TextField(_("content"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ContactOutcome.choices)
    next_contact_on = models.DateField(_("next contact"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        indexes = [models.Index(fields=["customer", "-contacted_at"], name="mon_comm_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.contacted_at:%Y-%m-%d}"


class ReviewTrigger(models.TextChoices):
    PERIODIC = "periodic", _("Periodic review")
    LIFE_EVENT = "life_event", _("Life event")


class LifeEvent(models.TextChoices):
    MARRIAGE = "marriage", _("Marriage")
    CHILD_BORN = "child_born", _("Birth of a child")
    NEW_HOME = "new_home", _("New home or mortgage")
    NEW_JOB = "new_job", _("New job or income change")
    RETIREMENT = "retirement", _("Retirement")
    BEREAVEMENT = "bereavement", _("Death in the family")
    OTHER = "other", _("Other")


class CustomerDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    ACCEPTED = "accepted", _("Accepted the recommendations")
    PARTLY = "partly", _("Accepted some recommendations")
    DECLINED = "declined", _("Declined")


class AccountReview(models.Model):
    """An account review (账户检视): cover against needs, recommendations, the decision."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(_("trigger"), max_length=12, choices=ReviewTrigger.choices)
    life_event = models.CharField(
        _("life event"), max_length=16, choices=LifeEvent.choices, blank=True
    )
    reviewed_on = models.DateField(_("reviewed on"))
    # The figures as computed on the day (needs.py), so a later change of the data or of
    # the assumptions does not rewrite the record: {"needs": {...}, "cover": {...}, ...}.
    assessment = models.JSONField(_("assessment"), default=dict)
    recommendations = models.TextField(_("recommendations"), blank=True)
    decision = models.CharField(
        _("customer's decision"),
        max_length=12,
        choices=CustomerDecision.choices,
        default=CustomerDecision.PENDING,
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    # Actions taken: [{"kind": "servicing_item" | "new_application" | "note", "note": ...}]
    actions = models.JSONField(_("actions"), default=list, blank=True)
    work_item = models.ForeignKey(
        WorkItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account review")
        verbose_name_plural = _("account reviews")
        indexes = [
            models.Index(fields=["customer", "-reviewed_on"], name="mon_review_customer_idx")
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of {self.customer_id} on {self.reviewed_on}"


class LapseModel(models.Model):
    """A trained lapse-and-surrender model, stored as numbers (never a pickle): feature
    names, standardisation, coefficients and intercept of a logistic regression."""

    trained_at = models.DateTimeField(default=timezone.now)
    trained_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    algorithm = models.CharField(max_length=40, default="logistic_regression")
    as_of = models.DateField()
    features = models.JSONField(default=list)  # [{"name", "mean", "scale", "coefficient"}]
    intercept = models.FloatField(default=0.0)
    n_train = models.PositiveIntegerField(default=0)
    n_test = models.PositiveIntegerField(default=0)
    positive_rate = models.FloatField(default=0.0)
    auc = models.FloatField(null=True, blank=True)  # back-test on the held-out policies
    brier = models.FloatField(null=True, blank=True)
    calibration = models.JSONField(default=list)  # [{"bin", "predicted", "observed", "n"}]
    is_current = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("lapse-risk model")
        verbose_name_plural = _("lapse-risk models")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"lapse model {self.pk} ({self.trained_at:%Y-%m-%d})"


class ModelTraining(models.Model):
    """A retraining asked for on the model page or by the API, done by the worker: the
    history of every policy is read, the model fitted, every policy scored."""

    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices)
    requested_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=24, blank=True)  # reading, fitting, scoring, done
    model = models.ForeignKey(
        LapseModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)  # why it failed

    class Meta:
        verbose_name = _("model training")
        verbose_name_plural = _("model trainings")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"training {self.pk} ({self.status})"


class PolicyRiskScore(models.Model):
    """The current model's lapse-risk score of a policy (0–1); orders the worklists."""

    policy = models.OneToOneField(
        "policies.Policy", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    model = models.ForeignKey(LapseModel, on_delete=models.CASCADE, related_name="scores")
    score = models.FloatField()
    scored_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.score:.3f}"
