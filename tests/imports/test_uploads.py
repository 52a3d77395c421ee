"""An uploaded file, with its raw ID numbers, is deleted once its job has ended; a file the
operator named on the command line stays where it was."""

from __future__ import annotations

from pathlib import Path

from policydesk.imports.models import ImportJob
from policydesk.imports.services import import_run, import_start
from tests.conftest import World

from .conftest import csv_bytes, example, example_rows, run_import


def test_an_uploaded_file_is_deleted_when_its_import_is_done_or_refused(world: World) -> None:
    done = run_import(world.admin, "customers", example("customers"))
    rows = example_rows("customers")
    rows[1][rows[0].index("birth_date")] = "not-a-date"
    refused = run_import(world.admin, "customers", csv_bytes(rows))

    assert done.status == "done" and refused.status == "failed"
    for job in (done, refused):
        assert not Path(job.stored_path).exists()
    assert ImportJob.objects.get(pk=refused.pk).report["errors"]  # the report stays


def test_a_file_named_on_the_command_line_stays(world: World, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(example("customers"))
    job = import_start(by=None, kind="customers", file_name=path.name, path=path, enqueue=False)

    assert import_run(job.pk).status == "done"
    assert path.read_bytes() == example("customers")
