from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "policydesk.demo"
    label = "demo"
    verbose_name = "Demo data"
