"""Imports: start a job (store the file, queue the work) and run it.

A file is applied all-or-nothing: rows are read, checked and resolved in chunks, and each
chunk is written as soon as it is checked (on PostgreSQL by a second thread, while the next
chunk is read), all inside one transaction; the contact quality of the customers the file
touched is refreshed once, at the end. When any row fails
(and the user did not ask to apply the valid rows only) the rest of the file is still
checked, for a complete report, and the transaction is rolled back. A dry run is rolled back
too, after a full check against the database (so its counts say what an import would do).
"""

from __future__ import annotations

import gc
import operator
import re
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policydesk.core.access import require
from policydesk.core.audit import audit_record
from policydesk.core.errors import DomainError
from policydesk.customers import quality
from policydesk.org.models import Staff

from .apply import ChunkWriter, Counts
from .bulk import defer_indexes
from .models import ImportJob, ImportStatus
from .readers import UnreadableFile, file_format, open_table
from .specs import KINDS
from .validate import HANDLERS, ImportContext, ParsedRow, Report, header_errors, row_parser

# progress(rows done, rows in all, stage): the stage is one of STAGES.
Progress = Callable[[int, int, str], None]
# What the import is doing: its rows, then (a bulk load) the table's search indexes, then the
# contact quality of the customers it touched. Labels in selectors.STAGE_LABELS.
STAGES = ("rows", "indexes", "quality")
MAX_UPLOAD_BYTES = 2 * 1024**3


def chunk_rows() -> int:
    # Bigger chunks amortise COPY and the merge; lookups pass a chunk's keys as one parameter
    # on PostgreSQL and SQLite (apply.in_values), other databases keep IN lists short.
    return 20_000 if connection.vendor in ("postgresql", "sqlite") else 5_000


def imports_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def guess_kind(file_name: str) -> str:
    """The kind a file name starts with (customers.csv, policies-2024-06.xlsx, …)."""
    stem = Path(file_name).name.lower()
    matches = [kind for kind in KINDS if stem.startswith(kind)]
    if not matches:
        raise DomainError(
            _("Say which kind of records %(file)s holds.") % {"file": file_name}, field="kind"
        )
    return max(matches, key=len)


def _safe_name(file_name: str) -> str:
    return re.sub(r"[^\w.-]", "_", Path(file_name).name)[-100:] or "upload"


@transaction.atomic
def import_start(
    *,
    by: Staff | None,
    kind: str,
    file_name: str,
    content: bytes | None = None,
    path: Path | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    enqueue: bool = True,
) -> ImportJob:
    """Record an import job for an uploaded `content` (kept under DATA_DIR/imports) or a file
    at `path` (read in place), and queue it for the worker after commit."""
    if by is not None:
        require(by, "customers.import")
    if kind not in KINDS:
        raise DomainError(_("Unknown kind %(kind)s.") % {"kind": kind}, field="kind")
    try:
        fmt = file_format(file_name)
    except UnreadableFile as error:
        raise DomainError(error.message, field="file") from error
    if (content is None) == (path is None):
        raise DomainError(_("Give the file's content or its path."), field="file")
    if content is not None:
        if len(content) > MAX_UPLOAD_BYTES:
            raise DomainError(_("The file is too large."), field="file")
        folder = imports_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}-{_safe_name(file_name)}"
        path.write_bytes(content)
    assert path is not None  # noqa: S101 -- one of the two was given, checked above
    job = ImportJob.objects.create(
        kind=kind,
        file_name=Path(file_name).name[:255],
        stored_path=str(path),
        file_format=fmt,
        uploaded_by=by,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
    if enqueue:
        from .tasks import run_import

        transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def progress_path(job_id: int) -> Path:
    return imports_dir() / "progress" / f"{job_id}.txt"


def file_progress(job_id: int) -> Progress:
    """A progress sink readable by other processes while the import's transaction is open
    (rows written inside it are invisible to them until commit)."""
    target = progress_path(job_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    last = 0.0

    def report(done: int, total: int, stage: str = "rows") -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 0.5 or done >= total or stage != "rows":
            last = now
            target.write_text(f"{done} {total} {stage}", encoding="ascii")

    return report


def read_progress(job_id: int) -> tuple[int, int, str] | None:
    """(rows done, rows in all, stage) as the worker last wrote them, or None."""
    try:
        done, total, *stage = progress_path(job_id).read_text(encoding="ascii").split()
        return int(done), int(total), stage[0] if stage and stage[0] in STAGES else "rows"
    except (OSError, ValueError):
        return None


def _finish(job: ImportJob, status: str, report: dict[str, Any]) -> ImportJob:
    job.status = status
    job.report = report
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "report", "rows_total", "rows_done", "finished_at"])
    progress_path(job.pk).unlink(missing_ok=True)
    _discard_upload(job)
    return job


def _discard_upload(job: ImportJob) -> None:
    """An uploaded file holds raw ID numbers and phones: once its job has ended it is
    deleted (the report keeps what the page shows). A file the operator named on the command
    line is theirs and stays."""
    stored = Path(job.stored_path)
    if stored.parent.resolve() == imports_dir().resolve():
        stored.unlink(missing_ok=True)


def import_run(job_id: int, *, progress: Progress | None = None) -> ImportJob:
    """Run a queued job once; a job that is not queued any more is left alone."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("uploaded_by")
            .get(pk=job_id)
        )
        if job.status != ImportStatus.QUEUED:
            return job
        job.status = ImportStatus.VALIDATING if job.dry_run else ImportStatus.APPLYING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
    report = Report(job.file_name)
    summary: dict[str, Any] = {"kind": job.kind, "file": job.file_name, "dry_run": job.dry_run}
    try:
        table = open_table(Path(job.stored_path), job.file_name)
    except (UnreadableFile, OSError) as error:
        message = error.message if isinstance(error, DomainError) else _("The file is missing.")
        report.add(0, "", message)
        return _finish(job, ImportStatus.FAILED, {**summary, **_report_json(report, refused=True)})
    job.rows_total = table.rows_estimate
    ImportJob.objects.filter(pk=job.pk).update(rows_total=job.rows_total)
    try:
        with collector_paused():
            counts, rows = _process(job, table.header, table.cells, report, progress)
    except UnreadableFile as error:
        report.add(0, "", error.message)
        return _finish(job, ImportStatus.FAILED, {**summary, **_report_json(report, refused=True)})
    except Exception:
        # Kept on the job for its page, then re-raised so the worker marks the task failed.
        summary["crash"] = traceback.format_exc(limit=3)[-2000:]
        _finish(job, ImportStatus.FAILED, {**summary, **_report_json(report, refused=True)})
        raise
    refused = bool(report.errors_total) and not job.skip_invalid
    job.rows_total = job.rows_done = rows
    summary.update(
        _report_json(report, refused=refused),
        rows=rows,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=len(report.invalid_rows),
        applied=not refused and not job.dry_run,
    )
    return _finish(job, ImportStatus.FAILED if refused else ImportStatus.DONE, summary)


def _report_json(report: Report, *, refused: bool) -> dict[str, Any]:
    return {"errors": report.errors, "errors_total": report.errors_total, "refused": refused}


def immediate_foreign_keys(immediate: bool) -> None:
    """PostgreSQL: check the foreign keys of each written row as it is written, not all at
    commit. Django declares them DEFERRABLE INITIALLY DEFERRED; deferred, the checks of a
    whole file queue up and run after the last chunk, with nothing else to do meanwhile.
    Immediate, they run in the writer's statements, while the next chunk is read. Every
    reference a row carries was looked up before it is written, so no check can fail that
    would have passed at commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS ALL {'IMMEDIATE' if immediate else 'DEFERRED'}")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is read: every chunk keeps tens of
    thousands of rows and records alive, which the collector would scan again and again
    for cycles they do not form (a fifth of the import's CPU at 300,000 customers,
    docs/benchmarks.md). Reference counting still frees them; what cycles there are wait
    for the collector's next run once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _process(
    job: ImportJob,
    header: list[str],
    rows: Iterator[tuple[int, list[str]]],
    report: Report,
    progress: Progress | None,
) -> tuple[Counts, int]:
    spec = KINDS[job.kind]
    handler = HANDLERS[job.kind]
    counts = Counts()
    done = 0
    header_errors(spec, header, report)
    if report.errors_total:
        return counts, 0  # nothing is read when the columns are wrong
    context = ImportContext(user=job.uploaded_by, report=report)
    seen: dict[int, int] = {}  # hash of the business key → first row holding it
    key_column = spec.key[-1]
    parse = row_parser(spec, header)
    check = handler.check_row
    key_of = operator.itemgetter(*spec.key)
    with transaction.atomic():
        immediate_foreign_keys(True)
        deferred = (
            defer_indexes(handler.plan.model, job.rows_total)
            if handler.plan.bulk and not job.dry_run
            else None
        )
        with ChunkWriter(handler.plan) as writer:
            # A chunk checked and resolved waits here until the next chunk's queries are
            # done (the handler says so: context.looked_up), then goes to the writer: the
            # write then overlaps the handler's own work on the next chunk instead of
            # holding up its queries on the one connection. Only for kinds whose queries
            # cannot need the rows of the chunk before (plan.bulk: lookups by unique key,
            # and `seen` refuses a key twice); the others write each chunk at once.
            held: list[tuple[list[dict[str, Any]], bool | None]] = []

            def release() -> None:
                if held:
                    records, fresh = held.pop()
                    # After the first error an all-or-nothing file is only checked.
                    if job.skip_invalid or not report.errors_total:
                        writer.write(records, fresh=fresh)

            if handler.plan.bulk:
                context.looked_up = release
            for chunk in _chunks(rows, chunk_rows()):
                parsed: list[ParsedRow] = []
                for number, cells in chunk:
                    row = parse(number, cells, report)
                    if row is None or not check(row, report):
                        continue
                    key = hash(key_of(row.values))
                    first = seen.setdefault(key, number)
                    if first != number:
                        report.add(
                            number,
                            key_column,
                            _("Same %(key)s as row %(row)s.")
                            % {"key": ", ".join(spec.key), "row": first},
                        )
                        continue
                    parsed.append(row)
                context.fresh = None
                records = handler.resolve(parsed, context)
                release()  # a handler without queries, or one that did not say
                if job.skip_invalid or not report.errors_total:
                    # On PostgreSQL while the next chunk is read.
                    held.append((records, context.fresh))
                    if not handler.plan.bulk:
                        release()
                done += len(chunk)
                if progress is not None:
                    progress(done, max(done, job.rows_total), "rows")
            release()
            counts = writer.finish()
        immediate_foreign_keys(False)
        refused = bool(report.errors_total) and not job.skip_invalid
        if refused or job.dry_run:
            transaction.set_rollback(True)
        else:
            if deferred is not None:
                if progress is not None:
                    progress(done, done, "indexes")
                deferred.rebuild()  # before the refresh, whose joins use them
            handler.after_write(context)
            # Once for the whole file (a customer's rows may be spread over its chunks), as
            # the nightly sweep would find it: see customers.quality.refresh_many.
            affected = counts.affected_customers | context.quality_affected
            if affected and progress is not None:
                progress(done, done, "quality")
            quality.refresh_many(affected)
            audit_record(
                action="imports.apply",
                actor=job.uploaded_by,
                target=job,
                after={
                    "kind": job.kind,
                    "file": job.file_name,
                    "rows": done,
                    "inserted": counts.inserted,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "skipped": len(report.invalid_rows),
                },
            )
    return counts, done
