"""Generate docs/import-formats.md and docs/examples/<kind>.csv from the column specs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .specs import KINDS, Column, ColumnType, KindSpec

INTRO = """# Import formats

Generated from `src/policydesk/imports/specs.py` by `policydesk import --write-docs`; do not
edit by hand (a test fails when this file and the specs disagree).

Each file holds one kind of record: CSV (UTF-8 with or without BOM; GB18030 is accepted) or
XLSX (the first sheet). Row 1 names the columns (any order, lower case); blank rows are
skipped. Start an import on the Imports page or with
`policydesk import FILE [--kind KIND] [--dry-run] [--skip-invalid] [--user USERNAME]`
(the kind defaults to the start of the file name: `customers-2024.csv`).

- **All or nothing.** The whole file is checked; when any row fails nothing is written and
  the report lists up to 1,000 errors, each with file, row (the header is row 1), column and
  reason. With *apply valid rows only* (`--skip-invalid`) the failing rows are reported and
  the others written.
- **Re-importing changes nothing.** Rows are matched by their business key (below); an
  unchanged row is not written at all, a changed one is updated, a new one inserted.
  A key repeated inside one file is an error.
- **Branches.** Rows name branches by code, and refer to customers, products and policies by
  number or code; you may only import into branches you can see, and a reference you may not
  see is reported like an unknown one.
- **Values.** Dates `YYYY-MM-DD`; date-times ISO 8601 (without an offset they are read in
  the default branch time zone); amounts with `.` as decimal point, at most two decimals;
  booleans `true`/`false` (also `yes`/`no`, `1`/`0`, `是`/`否`); lists separated by `;`.
  A blank optional cell takes the default shown.
- **Exports** (Imports page, `GET /api/v1/exports/{kind}?format=csv|xlsx`,
  `policydesk export KIND`) write the same columns for the branches you can see. ID numbers
  are masked to their last four characters, phones and e-mails likewise, unless your role may
  see identities; a masked export cannot be imported back. Cells starting with `=`, `+`, `-`,
  `@`, tab or carriage return are prefixed with `'` so spreadsheets do not run them; an
  import reads such a cell without the `'`, so an export imports back unchanged.
- **Policy status.** A new policy's first status and every change of status a file makes
  are recorded in the policy's history ("Recorded by an import"); the file is taken as the
  record of the status, so any change it makes is applied.
- **Large loads.** A customers or policies file of at least 50,000 rows (by default) and
  of at least as many rows as PolicyDesk already holds of that kind (a go-live, a
  migration) builds the table's search indexes once at the end instead of row by row:
  faster (docs/benchmarks.md), but the customer (or policy) pages wait until it is done. Set
  `POLICYDESK_IMPORT_BULK_MIN_ROWS=0` to keep them readable at the cost of speed
  (docs/decisions/0008-bulk-import-indexes.md).
"""


def _type_text(column: Column) -> str:
    if column.type in {ColumnType.CHOICE, ColumnType.LIST}:
        label = "one of" if column.type == ColumnType.CHOICE else "list of"
        return f"{label} " + ", ".join(f"`{choice}`" for choice in column.choices)
    if column.type == ColumnType.TEXT and column.max_length:
        return f"text (≤ {column.max_length})"
    return column.type.value


def _default_text(column: Column) -> str:
    if column.required:
        return "required"
    if column.default in (None, "", [], {}):
        return "blank"
    if isinstance(column.default, bool):
        return f"`{str(column.default).lower()}`"
    return f"`{column.default}`"


def kind_section(spec: KindSpec) -> str:
    lines = [
        f"## {spec.title} (`{spec.kind}`)",
        "",
        spec.description,
        "",
        f"Example: [`docs/examples/{spec.kind}.csv`](examples/{spec.kind}.csv)",
        "",
        "| column | type | if blank | meaning |",
        "|---|---|---|---|",
    ]
    for column in spec.columns:
        lines.append(
            f"| `{column.name}` | {_type_text(column)} | {_default_text(column)} | {column.help} |"
        )
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    return INTRO + "\n" + "\n".join(kind_section(spec) for spec in KINDS.values())


def example_csv(spec: KindSpec) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.names)
    writer.writerows(spec.example)
    return buffer.getvalue()


def write_docs(docs_dir: Path) -> list[Path]:
    written = [docs_dir / "import-formats.md"]
    written[0].write_text(render_markdown(), encoding="utf-8")
    (docs_dir / "examples").mkdir(exist_ok=True)
    for spec in KINDS.values():
        target = docs_dir / "examples" / f"{spec.kind}.csv"
        target.write_text(example_csv(spec), encoding="utf-8")
        written.append(target)
    return written
