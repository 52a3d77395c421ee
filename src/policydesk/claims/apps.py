from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "policydesk.claims"
    label = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        from django.urls import reverse

        from policydesk.cases.managed import register_managed_process

        # Steps of these cases are taken on the claim page (its services
        # record what each step means); the generic case page links there.
        register_managed_process(
            "claim", lambda case: reverse("claims:detail", kwargs={"claim_id": case.claim.pk})
        )
