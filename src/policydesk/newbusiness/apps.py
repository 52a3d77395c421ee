from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewbusinessConfig(AppConfig):
    name = "policydesk.newbusiness"
    label = "newbusiness"
    verbose_name = _("New business")

    def ready(self) -> None:
        from django.urls import reverse

        from policydesk.cases.managed import register_managed_process

        # Steps of these cases are taken on the application page (its services
        # record what each step means); the generic case page links there.
        register_managed_process(
            "newbusiness",
            lambda case: reverse(
                "newbusiness:detail", kwargs={"application_id": case.application.pk}
            ),
        )
