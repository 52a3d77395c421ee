"""Middleware only pages need, which a JSON API call passes by.

A call to the JSON API reads no flash messages and renders no template that needs a CSP
nonce, yet on every call Django's message middleware built a message store (with a cookie
signer) and django-csp made a nonce and built two policy headers from the settings: about a
tenth of an API list's time, for nothing the client reads. These subclasses keep the pages'
behaviour exactly and let JSON calls through; the API's documentation page
(`/api/v1/docs`) is HTML and is treated as a page. A JSON response still carries a policy:
a fixed one that allows nothing, since it is data and never a document to run."""

from __future__ import annotations

from typing import cast

from csp.middleware import CSPMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest
from django.http.response import HttpResponseBase

API_PREFIX = "/api/"
# Pages served under the API's prefix: they render templates like any other page.
API_PAGES = ("/api/v1/docs",)
# The policy of a JSON response: nothing may load, nothing may frame it.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"


def is_api_call(request: HttpRequest) -> bool:
    """A request for the JSON API (not its HTML documentation page)."""
    path = request.path_info
    return path.startswith(API_PREFIX) and not path.startswith(API_PAGES)


class PageMessageMiddleware(MessageMiddleware):
    """Django's message middleware for pages; an API call gets no message store."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api_call(request):
            return cast(HttpResponseBase, self.get_response(request))  # WSGI: never awaited
        return cast(HttpResponseBase, super().__call__(request))


class PageCSPMiddleware(CSPMiddleware):
    """django-csp for pages; an API call gets the fixed policy that allows nothing."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_call(request):
            return cast(HttpResponseBase, super().__call__(request))
        response = cast(HttpResponseBase, self.get_response(request))
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = API_CONTENT_SECURITY_POLICY
        return response
