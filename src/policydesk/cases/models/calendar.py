"""Business calendars as data: the work periods and exceptions a branch's clocks count in.

Public holidays and make-up working days come from the calendar region (chinesecalendar for
the mainland, the holidays package for Hong Kong and Singapore); a calendar adds its own
work periods per weekday and its own exceptions (a branch closed for a local festival, an
extra Saturday opening).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


def default_periods() -> dict[str, list[list[str]]]:
    """Monday to Friday 08:30-12:00 and 13:30-17:30 (a county counter's usual hours)."""
    day = [["08:30", "12:00"], ["13:30", "17:30"]]
    return dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), day)


class BusinessCalendar(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("holiday calendar"), max_length=4, default="CN")
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # {"mon": [["08:30", "12:00"], ["13:30", "17:30"]], …}; a missing weekday is not worked.
    periods = models.JSONField(_("work periods"), default=default_periods)
    extra_holidays = models.JSONField(_("extra holidays"), default=list, blank=True)
    extra_working_days = models.JSONField(_("extra working days"), default=list, blank=True)
    # A branch's own calendar; a branch without one uses its region's default calendar.
    branch = models.OneToOneField(
        "org.Branch",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="business_calendar",
    )
    is_region_default = models.BooleanField(_("default for its region"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
