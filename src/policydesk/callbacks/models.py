"""Post-sale callbacks (回访): tasks, attempts, scripts, retry policies and triggers.

A callback task is an outbound call the insurer owes the policyholder: every new long-term
policy inside its cooling-off period (犹豫期), a grace-period reminder (宽限期回访), or any
other trigger defined as data. A task is not a case: it has no regulatory clock beyond its due
day and is worked from a queue ordered by due day and success likelihood. A callback that
finds a problem (mis-selling) opens a complaint on the case engine; the task links to it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TriggerKind(models.TextChoices):
    # New long-term policy, receipt signed: due by the last day of cooling-off.
    COOLING_OFF = "cooling_off", _("New policy in cooling-off")
    # The policy entered one of the trigger's statuses (e.g. in grace): due `due_days` later.
    POLICY_STATUS = "policy_status", _("Policy status reached")


class FallbackKind(models.TextChoices):
    LETTER = "letter", _("Letter with return receipt")  # 信函回访
    VISIT = "visit", _("Visit with signed receipt")  # 上门回访


class RetryPolicy(models.Model):
    """How often and when a task may be dialled, and what follows the last failure."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Failed phone attempts (no answer, invalid number, not the policyholder, refused) after
    # which the task falls back to a letter or visit.
    max_attempts = models.PositiveSmallIntegerField(_("phone attempts before fallback"))
    # Hours to wait before the next attempt, per outcome code; missing outcomes: 4 hours.
    retry_after_hours = models.JSONField(_("hours before the next attempt"), default=dict)
    fallback = models.CharField(
        _("fallback"), max_length=8, choices=FallbackKind.choices, default=FallbackKind.LETTER
    )
    # No outbound calls from quiet_start to quiet_end, in the branch's time zone (21:00–09:00).
    quiet_start = models.TimeField(_("no calls from"))
    quiet_end = models.TimeField(_("no calls until"))
    edited_at = models.DateTimeField(null=True, blank=True)  # set by an edit: seed keeps off

    class Meta:
        verbose_name = _("retry policy")
        verbose_name_plural = _("retry policies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CallbackScript(models.Model):
    """The questions of a callback (话术) for one product line, or the default (line "")."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    product_line = models.CharField(_("product line"), max_length=20, blank=True)
    # [{"code", "text", "text_en", "instalments_only"}]: the seven confirmations of DOMAIN.md
    # §2 (instalment terms asked only of policies paid by instalments) and any the line adds.
    questions = models.JSONField(_("questions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("callback script")
        verbose_name_plural = _("callback scripts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CallbackTrigger(models.Model):
    """What makes a task: a kind, its conditions and when the task is due."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TriggerKind.choices)
    # policy_status triggers: the statuses that start a task (e.g. ["in_grace"]).
    statuses = models.JSONField(_("policy statuses"), default=list, blank=True)
    # policy_status triggers: days after the status change the task is due.
    due_days = models.PositiveSmallIntegerField(_("due after days"), default=0)
    # Only policies whose term is longer than this many years (cooling-off: 1).
    min_term_years = models.PositiveSmallIntegerField(_("term longer than years"), default=0)
    retry_policy = models.ForeignKey(
        RetryPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("retry policy")
    )
    # The script to read; none: the product line's script, else the default one.
    script = models.ForeignKey(
        "CallbackScript",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("script"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("callback trigger")
        verbose_name_plural = _("callback triggers")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To call")  # due, being dialled
    FALLBACK_DUE = "fallback_due", _("Letter or visit to send")  # phone attempts used up
    FALLBACK_SENT = "fallback_sent", _("Letter or visit out")  # waiting for the receipt
    SUCCEEDED = "succeeded", _("Succeeded")  # every confirmation given (phone or receipt)
    PROBLEM = "problem", _("Problem found")  # mis-selling complaint opened
    FAILED = "failed", _("Failed")  # fallback came back without a signed receipt
    CANCELLED = "cancelled", _("Cancelled")  # policy ended before the callback


OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.FALLBACK_DUE, TaskStatus.FALLBACK_SENT)


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Success")  # all confirmations given
    NO_ANSWER = "no_answer", _("No answer")
    INVALID_NUMBER = "invalid_number", _("Invalid number")  # 空号/错号
    NOT_POLICYHOLDER = "not_policyholder", _("Not the policyholder")
    DIALECT_BARRIER = "dialect_barrier", _("Language or dialect barrier")  # re-queued
    REFUSED = "refused", _("Refused")
    PROBLEM_FOUND = "problem_found", _("Problem found")  # opens a mis-selling complaint


# Outcomes that use up one of the retry policy's phone attempts.
FAILED_OUTCOMES = frozenset(
    {Outcome.NO_ANSWER, Outcome.INVALID_NUMBER, Outcome.NOT_POLICYHOLDER, Outcome.REFUSED}
)


class CallbackTask(models.Model):
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    trigger = models.ForeignKey(CallbackTrigger, on_delete=models.PROTECT, related_name="tasks")
    script = models.ForeignKey(CallbackScript, on_delete=models.PROTECT, related_name="+")
    # The day the trigger fired (receipt signed, status changed): one task per occasion.
    occasion_on = models.DateField(_("occasion"))
    due_on = models.DateField(_("due"))
    cooling_off_end = models.DateField(_("cooling-off ends"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    team = models.ForeignKey(
        "org.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        "org.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    # Set when the customer needs a seat speaking this language or dialect (莆仙话).
    language_needed = models.ForeignKey(
        "org.Language",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("language needed"),
    )
    # Contact-quality defect codes found when the task was made, plus "dialect_barrier" once
    # one is met: the KPI page compares success with and without each.
    defect_codes = models.JSONField(default=list, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    attempts_count = models.PositiveSmallIntegerField(default=0)
    last_outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Success likelihood in percent (services.success_likelihood explains it).
    score = models.PositiveSmallIntegerField(_("success likelihood"), default=50)
    fallback_kind = models.CharField(max_length=8, choices=FallbackKind.choices, blank=True)
    fallback_sent_at = models.DateTimeField(null=True, blank=True)
    fallback_reference = models.CharField(_("letter or visit reference"), max_length=64, blank=True)
    fallback_returned_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("callback task")
        verbose_name_plural = _("callback tasks")
        constraints = [
            # Makes the sync idempotent: one task per policy, trigger and occasion.
            models.UniqueConstraint(
                fields=["policy", "trigger", "occasion_on"], name="callback_task_once"
            )
        ]
        indexes = [
            # The queues: open tasks of a branch by due day and likelihood.
            models.Index(fields=["branch", "status", "due_on", "score"], name="callback_queue_idx"),
            models.Index(fields=["assignee", "status", "due_on"], name="callback_mine_idx"),
            # The KPI page reads a period of due days.
            models.Index(fields=["branch", "due_on"], name="callback_due_idx"),
        ]

    def __str__(self) -> str:
        return f"callback {self.pk} {self.policy_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CallbackAttempt(models.Model):
    """One call: the number dialled, when, by whom, the outcome and the answers given."""

    task = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("dialled at"))
    by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, related_name="+")
    number_dialled = models.CharField(_("number dialled"), max_length=32)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    # {question code: "yes" | "no"}; a "no" is a problem found.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    language = models.ForeignKey(
        "org.Language", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["task", "at"], name="callback_attempt_task_idx")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.at:%Y-%m-%d %H:%M} {self.outcome}"
