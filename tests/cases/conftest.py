"""Processes shipped with PolicyDesk, loaded for the case-engine tests."""

from __future__ import annotations

import pytest

from policydesk.cases.models import Process
from policydesk.cases.process_services import processes_sync
from tests.conftest import World


@pytest.fixture
def processes(world: World) -> dict[str, Process]:
    processes_sync()
    return {p.code: p for p in Process.objects.all()}


@pytest.fixture
def complaint(processes: dict[str, Process]) -> Process:
    return processes["complaint"]


@pytest.fixture
def enquiry(processes: dict[str, Process]) -> Process:
    return processes["enquiry"]
