"""Reading import files: CSV (UTF-8 with or without BOM, GB18030 fallback) and XLSX.

A reader yields (row number, [cell text, …] in the header's order) with the header as row 1,
so numbers match what a spreadsheet shows (`TableFile.rows` gives them as {column: text}).
Cells are text: dates from XLSX become YYYY-MM-DD, numbers lose a trailing ".0", so both
formats pass through the same parsers.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from policydesk.core.errors import DomainError

ENCODINGS = ("utf-8", "gb18030")
PROBE_BYTES = 1 << 20


class UnreadableFile(DomainError):
    """The file cannot be read at all (encoding, format); the report names the file."""

    code = "unreadable_file"


@dataclass
class TableFile:
    header: list[str]
    cells: Iterator[tuple[int, list[str]]]  # (row number, cells in the header's order)
    rows_estimate: int

    @property
    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """The same rows as {column: text} (a short row lacks its last columns). One pass
        over the file: read `rows` or `cells`, not both."""
        header = self.header
        return ((number, dict(zip(header, cells, strict=False))) for number, cells in self.cells)


def file_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix in {".csv", ".txt"}:
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise UnreadableFile(
        _("%(file)s: only .csv and .xlsx files can be imported.") % {"file": file_name},
        field="file",
    )


def detect_encoding(path: Path, file_name: str) -> str:
    """UTF-8 (a BOM is skipped) when the whole file decodes as UTF-8, else GB18030."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while block := handle.read(PROBE_BYTES):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8-sig" if encoding == "utf-8" else encoding
    raise UnreadableFile(
        _("%(file)s is neither UTF-8 nor GB18030 text; save it as CSV UTF-8 and try again.")
        % {"file": file_name},
        field="file",
    )


def _estimate_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(PROBE_BYTES):
            lines += block.count(b"\n")
    return max(0, lines - 1)


def _clean_header(header: list[str]) -> list[str]:
    return [name.strip().lstrip("\ufeff").lower() for name in header]


def read_csv(path: Path, file_name: str) -> TableFile:
    encoding = detect_encoding(path, file_name)
    handle: IO[str] = path.open(encoding=encoding, newline="")
    reader = csv.reader(handle)
    try:
        header = _clean_header(next(reader))
    except StopIteration:
        handle.close()
        return TableFile(header=[], cells=iter(()), rows_estimate=0)
    except csv.Error as error:
        handle.close()
        raise UnreadableFile(
            _("%(file)s is not a readable CSV file: %(error)s")
            % {"file": file_name, "error": error},
            field="file",
        ) from error

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            try:
                for values in reader:
                    if not "".join(values).strip():  # a blank line, or only blank cells
                        continue
                    yield reader.line_num, values
            except csv.Error as error:
                raise UnreadableFile(
                    _("%(file)s, line %(line)s: %(error)s")
                    % {"file": file_name, "line": reader.line_num, "error": error},
                    field="file",
                ) from error

    return TableFile(header=header, cells=rows(), rows_estimate=_estimate_lines(path))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, file_name: str) -> TableFile:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(
            _("%(file)s is not a readable XLSX workbook.") % {"file": file_name}, field="file"
        ) from error
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        workbook.close()
        return TableFile(header=[], cells=iter(()), rows_estimate=0)
    header = _clean_header([cell_text(value) for value in first])
    estimate = max(0, (sheet.max_row or 1) - 1)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(values, start=2):
                texts = [cell_text(value) for value in row]
                if not any(text.strip() for text in texts):
                    continue
                yield number, texts
        finally:
            workbook.close()

    return TableFile(header=header, cells=rows(), rows_estimate=estimate)


def open_table(path: Path, file_name: str) -> TableFile:
    if file_format(file_name) == "xlsx":
        return read_xlsx(path, file_name)
    return read_csv(path, file_name)
