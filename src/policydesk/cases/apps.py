from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "policydesk.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from . import timeline  # noqa: F401 - registers the customer 360 timeline source
