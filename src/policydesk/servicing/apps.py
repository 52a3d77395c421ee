from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "policydesk.servicing"
    label = "servicing"
    verbose_name = _("Policy servicing")

    def ready(self) -> None:
        from django.urls import reverse

        from policydesk.cases.managed import register_managed_process

        # Steps of these cases are taken on the servicing item page (its services
        # record what each step means); the generic case page links there.
        register_managed_process(
            "servicing",
            lambda case: reverse("servicing:detail", kwargs={"item_id": case.servicing_item.pk}),
        )
