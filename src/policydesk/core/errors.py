"""Typed domain errors with stable codes; the API maps them to 4xx, pages to messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.http import Http404


class DomainError(Exception):
    """A request the domain refuses. `code` is stable and documented in docs/api.md."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


@contextmanager
def fields_renamed(mapping: dict[str, str]) -> Iterator[None]:
    """Report a service's field names under the names a caller sent (branch → branch_id)."""
    try:
        yield
    except DomainError as error:
        if error.field in mapping:
            error.field = mapping[error.field]
        raise


class ConflictError(DomainError):
    code = "conflict"
    status = 409


class PermissionRefused(PermissionDenied):
    """The acting user's role does not grant this action."""

    code = "forbidden"

    def __init__(self, action: str):
        super().__init__(f"Your role may not perform '{action}'.")
        self.action = action


class NotVisible(Http404):
    """The object does not exist or lies outside what the acting user may see.

    The two cases answer alike so that a probe cannot tell them apart.
    """

    code = "not_found"
