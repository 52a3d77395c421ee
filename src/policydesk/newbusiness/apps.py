from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewbusinessConfig(AppConfig):
    name = "policydesk.newbusiness"
    label = "newbusiness"
    verbose_name = _("New business")
