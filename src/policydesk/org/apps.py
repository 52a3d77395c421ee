from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "policydesk.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # Every way in (the log-in form, the admin's, a test client's force_login) links the
        # session to its user: disabling an account ends its sessions through the link, and
        # a request reads the session with its user through it (org.session_user).
        user_logged_in.connect(_link_session, dispatch_uid="policydesk.org.link_session")


def _link_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from policydesk.core.middleware import client_address

    from .services import staff_session_register

    session = getattr(request, "session", None)
    if session is None or user is None:
        return
    if session.session_key is None:
        session.save()  # a key to link (login() normally cycles one in)
    staff_session_register(
        staff=user, session_key=session.session_key or "", client_address=client_address(request)
    )
