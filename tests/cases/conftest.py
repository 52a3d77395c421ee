"""Processes shipped with PolicyDesk, loaded for the case-engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

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


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    """Attachments go to a temporary DATA_DIR."""
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Texts written into timelines are read in English by these tests."""
    with translation.override("en"):
        yield
