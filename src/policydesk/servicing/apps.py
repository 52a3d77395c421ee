from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicingConfig(AppConfig):
    name = "policydesk.servicing"
    label = "servicing"
    verbose_name = _("Policy servicing")
