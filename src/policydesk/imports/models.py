"""Import jobs: one uploaded (or command-line) file, its progress and its validation report."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # stored, waiting for the background worker
    VALIDATING = "validating", _("Validating")  # a dry run: checked, nothing kept
    APPLYING = "applying", _("Applying")  # checked and written chunk by chunk, one transaction
    DONE = "done", _("Done")  # applied (or, for a dry run, fully checked)
    FAILED = "failed", _("Failed")  # refused by validation or stopped by an error; see report


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=20)  # a key of specs.KINDS
    file_name = models.CharField(_("file name"), max_length=255)
    # Where the content is kept: DATA_DIR/imports/<uuid>-<name> for uploads, the given path
    # for the command line (which reads the file in place instead of copying it).
    stored_path = models.CharField(max_length=1000)
    file_format = models.CharField(_("format"), max_length=4)  # "csv" or "xlsx"
    # Null for the command line, run by an operator of the server (no branch restriction).
    uploaded_by = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    skip_invalid = models.BooleanField(_("apply valid rows only"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)  # estimate until done
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    # {"errors": [{"file", "row", "column", "reason"}], "errors_total", "inserted", ...}
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [
            # The upload page lists a user's recent jobs, newest first.
            models.Index(fields=["uploaded_by", "-id"], name="importjob_by_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def is_running(self) -> bool:
        return self.status in {
            ImportStatus.QUEUED,
            ImportStatus.VALIDATING,
            ImportStatus.APPLYING,
        }
