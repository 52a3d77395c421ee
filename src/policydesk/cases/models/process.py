"""Processes as data: versioned state machines with guards, checklists and help text.

A process exists per case kind (complaint, enquiry, servicing item …). Its definition is a
ProcessVersion: states, transitions and checklist items. Only a draft version may be
edited; publishing freezes it and makes it the one new cases start on. A running case keeps
the version it was opened with, so changing a process never rewrites cases in flight.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StateCategory(models.TextChoices):
    """What a state means to the clocks and queues, whatever the process calls it."""

    OPEN = "open", pgettext_lazy("case status", "Open")  # the work is with us; clocks run
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")  # clocks pause by default
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")  # e.g. a hospital
    PAUSED = "paused", _("Paused")  # e.g. appraisal or mediation: excluded by the rules
    RESOLVED = "resolved", _("Resolved")  # decision made; the resolution clock stops
    CLOSED = "closed", _("Closed")  # nothing more to do

    @classmethod
    def waiting(cls) -> tuple[str, ...]:
        return (cls.WAITING_CUSTOMER, cls.WAITING_THIRD_PARTY, cls.PAUSED)

    @classmethod
    def finished(cls) -> tuple[str, ...]:
        return (cls.RESOLVED, cls.CLOSED)


class Process(models.Model):
    """A case kind and the process it runs (投诉, 咨询, 保全 …)."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Case numbers start with it: CP-2026-000123 for a complaint.
    number_prefix = models.CharField(_("case number prefix"), max_length=8, default="CS")
    default_team_code = models.SlugField(_("default team code"), max_length=32, blank=True)
    sla_policy = models.ForeignKey(
        "cases.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="processes",
        verbose_name=_("SLA policy"),
    )
    # The version new cases start on; None until the first publication.
    current_version = models.ForeignKey(
        "cases.ProcessVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being edited; no case runs on it
    PUBLISHED = "published", _("Published")  # frozen; the current one starts new cases
    RETIRED = "retired", _("Retired")  # frozen; replaced, but cases opened on it keep it


class ProcessVersion(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    notes = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("process version")
        verbose_name_plural = _("process versions")
        ordering = ["process_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="process_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.process.code} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT


class ProcessState(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="states")
    code = models.SlugField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=24, choices=StateCategory.choices)
    is_initial = models.BooleanField(_("initial state"), default=False)
    help_text = models.TextField(_("help text (SOP)"), blank=True)
    # The team a case moves to on entering this state, by code within the case's branch.
    default_team_code = models.SlugField(_("default team code"), max_length=32, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("process state")
        verbose_name_plural = _("process states")
        ordering = ["version_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="process_state_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One step of a state's SOP checklist (e.g. "Identity of the complainant verified")."""

    state = models.ForeignKey(ProcessState, on_delete=models.CASCADE, related_name="checklist")
    code = models.SlugField(_("code"), max_length=48)
    text = models.CharField(_("text"), max_length=300)
    text_en = models.CharField(_("English text"), max_length=300, blank=True)
    required = models.BooleanField(_("required to leave the state"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["state_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["state", "code"], name="checklist_item_unique")
        ]

    def __str__(self) -> str:
        return self.text


class Transition(models.Model):
    """A move between two states, allowed when every guard holds."""

    version = models.ForeignKey(
        ProcessVersion, on_delete=models.CASCADE, related_name="transitions"
    )
    code = models.SlugField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    from_state = models.ForeignKey(
        ProcessState, on_delete=models.CASCADE, related_name="transitions_out"
    )
    to_state = models.ForeignKey(
        ProcessState, on_delete=models.CASCADE, related_name="transitions_in"
    )
    # Guards. Case fields that must be filled (e.g. ["resolution", "root_cause"]).
    required_fields = models.JSONField(_("required case fields"), default=list, blank=True)
    # Every required checklist item of the state being left must be ticked.
    requires_checklist = models.BooleanField(_("checklist complete"), default=True)
    # A permission-matrix action the actor's role must grant (e.g. "cases.approve").
    required_action = models.CharField(_("required permission"), max_length=64, blank=True)
    # A certification code the actor must hold; checked by the quality app when it exists.
    required_certification = models.SlugField(
        _("required certification"), max_length=48, blank=True
    )
    requires_comment = models.BooleanField(_("comment required"), default=False)
    # Taking it resolves the request at first contact (FCR): an enquiry answered on the spot.
    first_contact_resolution = models.BooleanField(_("first-contact resolution"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["version_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="transition_unique")
        ]

    def __str__(self) -> str:
        return self.name
