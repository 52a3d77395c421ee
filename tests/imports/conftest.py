"""Helpers of the import tests: files under a temporary DATA_DIR, jobs run synchronously."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from policydesk.imports.docs import example_csv
from policydesk.imports.models import ImportJob
from policydesk.imports.services import import_run, import_start
from policydesk.imports.specs import KINDS

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def csv_bytes(rows: list[list[str]] | list[tuple[str, ...]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def example(kind: str) -> bytes:
    return example_csv(KINDS[kind]).encode("utf-8")


def example_rows(kind: str) -> list[list[str]]:
    spec = KINDS[kind]
    return [spec.names, *[list(row) for row in spec.example]]


def run_import(
    by: Any, kind: str, content: bytes, file_name: str | None = None, **options: Any
) -> ImportJob:
    job = import_start(
        by=by,
        kind=kind,
        file_name=file_name or f"{kind}.csv",
        content=content,
        enqueue=False,
        **options,
    )
    return import_run(job.pk)


def running_job(by: Any) -> tuple[Any, ImportJob]:
    """A signed-in client (English) and a customers job it uploaded, marked as applying its
    10 rows, as the worker leaves it while it runs."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import signed_in

    client = signed_in(by)
    client.cookies["django_language"] = "en"
    client.post(
        "/imports/",
        {"kind": "customers", "file": SimpleUploadedFile("customers.csv", example("customers"))},
    )
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="applying", rows_total=10)
    return client, job


def import_examples(by: Any, *kinds: str) -> None:
    for kind in kinds:
        job = run_import(by, kind, example(kind))
        assert job.status == "done", job.report


@pytest.fixture(autouse=True)
def _languages(request: Any) -> None:
    """The languages the customers example names (mandarin; the dialect puxian), wherever
    a test has a database."""
    if "db" not in request.fixturenames and "world" not in request.fixturenames:
        return
    request.getfixturevalue("db")
    from policydesk.org.models import Language

    Language.objects.get_or_create(code="mandarin", defaults={"name": "普通话"})
    Language.objects.get_or_create(code="puxian", defaults={"name": "莆仙话", "is_dialect": True})
