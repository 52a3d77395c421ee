"""A person's saved work-queue views: a queue view with its filters, under a name."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    owner = models.ForeignKey(
        "org.Staff", on_delete=models.CASCADE, related_name="+", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=60)
    view = models.CharField(_("queue view"), max_length=16)
    # The queue filters that are set: {"process": "complaint", "priority": 3, ...}
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="case_saved_view_name_unique")
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.name}"
