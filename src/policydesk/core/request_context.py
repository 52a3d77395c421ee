"""Who is acting and from where, for the audit trail, carried through one request or task."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str = ""


NO_CONTEXT = RequestContext()  # frozen, so sharing it as the default is safe
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "policydesk_request_context",
    default=NO_CONTEXT,
)


def current_context() -> RequestContext:
    return _current.get()


@contextmanager
def bound_context(context: RequestContext) -> Iterator[RequestContext]:
    """Bind a context for the duration of a request, task or command."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
