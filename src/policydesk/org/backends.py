"""The authentication backend: Django's model backend, loading the user with the branch.

Nearly every request reads the user's branch (its time zone, the scope of every list), so the
session's user is read with it in one query instead of two."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import Staff


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Staff | None:
        user = Staff._default_manager.select_related("branch").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
