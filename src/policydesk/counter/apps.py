from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    name = "policydesk.counter"
    label = "counter"
    verbose_name = _("Counter")

    def ready(self) -> None:
        from . import timeline  # noqa: F401 - registers the customer 360 timeline source
