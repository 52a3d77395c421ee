"""A running import says what it is doing: its rows, then (a bulk load) the search indexes,
then the contact quality; on its page, in the API and on the command line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from policydesk.imports import services
from policydesk.imports.models import ImportJob
from policydesk.imports.services import file_progress, progress_path, read_progress
from tests.conftest import World

from .conftest import example, import_examples, running_job


def test_the_job_page_and_the_api_name_the_stage_after_the_rows(world: World) -> None:
    client, job = running_job(world.admin)

    file_progress(job.pk)(4, 10, "rows")
    rows = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert client.get(f"/api/v1/imports/{job.pk}").json()["stage"] == "rows"
    file_progress(job.pk)(10, 10, "indexes")
    indexes = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    api = client.get(f"/api/v1/imports/{job.pk}").json()

    assert "Checking and writing the rows" in rows
    assert "Building the search indexes" in indexes
    assert (api["stage"], api["rows_done"], api["rows_total"]) == ("indexes", 10, 10)
    ImportJob.objects.filter(pk=job.pk).update(status="done")  # once ended, no stage
    assert client.get(f"/api/v1/imports/{job.pk}").json()["stage"] is None


def test_a_progress_file_of_an_older_worker_reads_as_rows(world: World) -> None:
    _, job = running_job(world.admin)
    path = progress_path(job.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("5 10", encoding="ascii")

    assert read_progress(job.pk) == (5, 10, "rows")
    path.write_text("5 10 nonsense", encoding="ascii")
    assert read_progress(job.pk) == (5, 10, "rows")


def test_the_import_reports_each_stage_it_passes_through(
    world: World, settings: Any, monkeypatch: Any
) -> None:
    import_examples(world.admin, "customers", "products")
    settings.IMPORT_BULK_MIN_ROWS = 1
    stages: list[str] = []
    job = services.import_start(
        by=world.admin,
        kind="policies",
        file_name="policies.csv",
        content=example("policies"),
        enqueue=False,
    )

    done = services.import_run(job.pk, progress=lambda d, t, stage: stages.append(stage))

    assert done.status == "done", done.report
    # Rows first, then the indexes of the bulk load, then the policyholders' contact quality.
    assert stages[0] == "rows"
    assert stages[-2:] == ["indexes", "quality"]


def test_the_command_line_says_when_it_builds_the_indexes(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.IMPORT_BULK_MIN_ROWS = 1
    path = tmp_path / "customers.csv"
    path.write_bytes(example("customers"))
    out = io.StringIO()

    call_command("import", str(path), stdout=out, stderr=io.StringIO())

    assert "3/3 rows; building the search indexes" in out.getvalue()
