"""Pages of policies: one policy with its parties, status history and money events."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@login_required
@require_GET
def detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = selectors.policy_get(request.user, policy_id)
    return render(request, "policies/detail.html", {"policy": policy})
