"""Usage CSV files, from the portal's upload and ``manage.py ingest_usage``.

A file is read line by line: a row that cannot be a sample (a value too many, a line too long)
is refused with its line number, every other row goes to ``usage.ingest`` as a sample, which
refuses a bad one (a cell that is not a number, an unknown circuit) with its reason and keeps
the good ones. Only what makes the whole file unreadable is a ``UsageFileError``: not UTF-8
text, empty, a header without the columns, too many rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from organisations.access import Actor
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_number

from ..choices import SampleStatus, UsageSource
from .usage import MAX_SAMPLES, IngestResult, ingest

#: The columns a file may have; any other is ignored.
COLUMNS = ("circuit_id", "ts", "port", "in_bps", "out_bps", "in_octets", "out_octets")
VALUE_COLUMNS = ("in_bps", "out_bps", "in_octets", "out_octets")
#: A usage row is about 70 characters; a longer line is not one.
MAX_LINE = 1000
HEADER_HELP = (
    "The header must name circuit_id, ts and in_bps, out_bps (or in_octets, out_octets); "
    "optionally port."
)


class UsageFileError(DomainError):
    """The file as a whole cannot be read; nothing of it was stored."""


@dataclass(frozen=True)
class RowProblem:
    """A row not stored, by its line in the file (the header is line 1)."""

    line: int
    reason: str


@dataclass
class UsageFile:
    """A file's rows as samples (``lines[i]`` is the line of ``samples[i]``) and the rows
    refused before ingest."""

    samples: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)


@dataclass
class UsageFileResult:
    """What became of a file's rows: ``ingested`` (``None`` when no row was a sample) and every
    row refused, in the file's order."""

    rows: int
    ingested: IngestResult | None
    refused: list[RowProblem]

    def count(self, status: str) -> int:
        """Rows under one of the contract's counts; rejected: every row refused, before ingest
        (unreadable) or by it."""
        if status == SampleStatus.REJECTED:
            return len(self.refused)
        return self.ingested.count(status) if self.ingested else 0

    def summary(self) -> str:
        """The contract's three counts, e.g. ``Batch 12: 5 accepted, 0 duplicates, 1 rejected of
        6 rows.``: every row is under one of them (a row refused before ingest is rejected).
        Which decision ingest took for each (capped, reset, late...) is
        ``ingested.decisions_text``."""
        batch = f"Batch {self.ingested.batch.pk}: " if self.ingested else ""
        return (
            f"{batch}{format_number(self.count(SampleStatus.ACCEPTED))} accepted, "
            f"{format_number(self.count(SampleStatus.DUPLICATE))} duplicates, "
            f"{format_number(self.count(SampleStatus.REJECTED))} rejected of "
            f"{format_number(self.rows)} rows."
        )


NOT_CSV = "The file is not UTF-8 text CSV"


def read_usage_file(data: bytes) -> UsageFile:
    """The rows of a usage CSV file (``data`` as uploaded); ``UsageFileError`` if the file as a
    whole cannot be read."""
    lines = enumerate(io.StringIO(_decode(data), newline=None), start=1)
    header = _header(lines)
    read = UsageFile()
    for number, line in lines:
        if len(read.samples) + len(read.refused) >= MAX_SAMPLES:
            raise UsageFileError(
                f"At most {format_number(MAX_SAMPLES)} rows at a time; split the file."
            )
        if len(line) > MAX_LINE and line.strip():
            too_long = f"The line is longer than {MAX_LINE} characters."
            read.refused.append(RowProblem(number, too_long))
            continue
        values = _values(line)
        if values is None:
            continue  # a blank line
        if len(values) < len(header) or any(values[len(header) :]):
            read.refused.append(
                RowProblem(
                    number, f"{len(values)} values where the header names {len(header)} columns."
                )
            )
            continue
        read.samples.append(_sample(header, values))
        read.lines.append(number)
    if not read.samples and not read.refused:
        raise UsageFileError("The file has a header but no rows.")
    return read


def ingest_usage_file(
    *,
    data: bytes,
    actor: Actor | None,
    now: datetime.datetime | None = None,
) -> UsageFileResult:
    """Store what is valid of a usage CSV file (``read_usage_file``; ``usage.ingest`` with the
    file kept as received) and say which rows were refused and why, by line."""
    read = read_usage_file(data)
    ingested = None
    refused = list(read.refused)
    if read.samples:
        ingested = ingest(
            samples=read.samples, actor=actor, source=UsageSource.CSV, raw_payload=data, now=now
        )
        refused += [
            RowProblem(read.lines[note.index], note.reason)
            for note in ingested.not_accepted
            if note.status == SampleStatus.REJECTED
        ]
    refused.sort(key=lambda problem: problem.line)
    return UsageFileResult(
        rows=len(read.samples) + len(read.refused), ingested=ingested, refused=refused
    )


def _decode(data: bytes) -> str:
    """The file as text; ``UsageFileError`` naming what it is instead (never a codec's own
    words), for UTF-16 text, bytes that are not UTF-8 and a header of binary data (a NUL in a
    row's cell refuses that row only)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UsageFileError(f"{NOT_CSV}: it is UTF-16 text. Save it as CSV UTF-8.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UsageFileError(
            f"{NOT_CSV}: line {line} holds the byte 0x{data[error.start]:02x}, which UTF-8 text "
            "does not. Save it as CSV UTF-8."
        ) from None
    header = text.lstrip().partition("\n")[0]
    if "\x00" in header:  # UTF-16 without its byte-order mark, or other binary data
        raise UsageFileError(f"{NOT_CSV}: its first line holds binary data. Save it as CSV UTF-8.")
    return text


def _values(line: str) -> list[str] | None:
    """A line's values, stripped; ``None`` for a blank line (or one of empty values)."""
    try:
        values = [value.strip() for value in next(csv.reader([line]), [])]
    except csv.Error:  # cannot happen with the default dialect and one line; kept as a row
        values = [line.strip()]
    return values if any(values) else None


def _header(lines: Any) -> list[str]:
    for number, line in lines:
        if len(line) > MAX_LINE:
            raise UsageFileError(f"Line {number} is not a header: {HEADER_HELP}")
        names = _values(line)
        if names is None:
            continue
        columns = set(names)
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            raise UsageFileError(f"The header names {', '.join(repeated)} more than once.")
        if not {"circuit_id", "ts"} <= columns or not (
            {"in_bps", "out_bps"} <= columns or {"in_octets", "out_octets"} <= columns
        ):
            shown = ", ".join(name[:40] for name in names[:10])
            raise UsageFileError(f"{HEADER_HELP} Line {number} names: {shown}.")
        return names
    raise UsageFileError("The file is empty; send a header and rows of samples.")


def _sample(header: list[str], values: list[str]) -> dict[str, Any]:
    """A row as a sample as the API takes it: empty cells left out, numbers of ASCII digits as
    ``int``; any other text is left for ``ingest`` to refuse with its reason."""
    sample: dict[str, Any] = {}
    for name, value in zip(header, values, strict=False):
        if name not in COLUMNS or value == "":
            continue
        if name in VALUE_COLUMNS and value.isascii() and value.isdigit():
            sample[name] = int(value)
        else:
            sample[name] = value
    return sample
