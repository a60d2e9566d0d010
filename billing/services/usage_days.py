"""Stored usage days and what ingest says of a sample: the pieces both ingest paths share.

A day row (``UsageDay``) holds a port's 288 five-minute rates of one UTC day. ``claim_days`` gets
the rows a batch writes to (inserting the days not stored yet with the batch's rates), and
``write_days`` saves rows changed by merging.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
from django.db import connection

from leasing.constants import CIRCUIT_ID_MAX_LENGTH
from leasing.models import Service
from tcfo_portal.formatting import format_bitrate

from ..choices import SampleDecision, SampleStatus, UsageEventKind
from ..models import UsageBatch, UsageDay, UsageEvent, UsagePort

MAX_BPS = 10**13  # 10 Tbit/s: no port of this cable carries more
EARLIEST = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp())
EPOCH = datetime.date(1970, 1, 1)
CHUNK = 500  # day rows per statement
DEFAULT_PORT = "default"


@dataclass
class SampleResult:
    """What became of one sample: its ``decision`` (``status`` is the contract's three-way
    count it falls under), why, and for a capped sample or a conflict the rates the bucket
    holds (in, out)."""

    index: int
    decision: SampleDecision
    reason: str = ""
    stored: tuple[int, int] | None = None

    @property
    def status(self) -> SampleStatus:
        return SampleDecision(self.decision).status

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "index": self.index,
            "status": self.status,
            "decision": self.decision,
        }
        body.update(self.details())
        return body

    def details(self) -> dict[str, Any]:
        """The reason and the stored rates, when there are."""
        body: dict[str, Any] = {}
        if self.reason:
            body["reason"] = self.reason
        if self.stored is not None:
            body["stored"] = {"in_bps": self.stored[0], "out_bps": self.stored[1]}
        return body


def circuit_id_ok(circuit_id: str) -> bool:
    """Might this name a service? Any text up to the longest circuit ID the portal builds; an
    ID naming no service is refused later as an unknown circuit."""
    return 0 < len(circuit_id) <= CIRCUIT_ID_MAX_LENGTH and "\x00" not in circuit_id


#: The contract's times: ISO 8601 in its extended format (with separators) and an offset, e.g.
#: 2026-10-01T00:05:00Z or 2026-10-01T04:05:00+04:00 (seconds and their fraction optional).
_CONTRACT_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)
_EXAMPLE = "e.g. 2026-10-01T00:05:00Z or 2026-10-01T04:05:00+04:00"


def parse_timestamp(value: Any, name: str = "ts") -> float:
    """UNIX seconds (with any fraction) of a time in the contract's format, ISO 8601 with
    separators and an offset; ``ValueError`` says what is wrong (with ``name`` for the value).

    Python reads more than that (``20260303T003000Z``, a space for the ``T``, ``+0400``): such a
    time is refused, with the format it must take."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{name} must be an ISO 8601 time with its offset, {_EXAMPLE}")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs an offset (Z or +04:00)")
    if not _CONTRACT_TIME.fullmatch(value):
        raise ValueError(
            f"{name} must be ISO 8601 with separators, a T and its offset (the extended "
            f"format), {_EXAMPLE}"
        )
    return moment.timestamp()


def timestamp_text(ts: int) -> str:
    """UNIX seconds as ISO 8601 in UTC, e.g. ``2026-10-01T00:05:00Z``."""
    moment = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def bucket_window(
    activated_on: datetime.date, terminated_on: datetime.date | None
) -> tuple[int, int | None]:
    """UNIX seconds from which the buckets of a service activated and terminated on these days
    count, and before which (None: no end)."""
    start = int(datetime.datetime.combine(activated_on, datetime.time(), datetime.UTC).timestamp())
    end = None
    if terminated_on:
        end = int(
            datetime.datetime.combine(terminated_on, datetime.time(), datetime.UTC).timestamp()
        )
    return start, end


def active_ports(service: Service) -> list[UsagePort]:
    """The active ports of a service (``usage_ports`` prefetched); a service with none gets one
    called ``default`` on its first sample."""
    active = [port for port in service.usage_ports.all() if port.is_active]
    if not active:
        active = [UsagePort.objects.get_or_create(service=service, name=DEFAULT_PORT)[0]]
    return active


def rates_text(in_bps: int, out_bps: int) -> str:
    """``1.17 Gbit/s in, 411 Mbit/s out``: a bucket's rates as people read them."""
    return f"{format_bitrate(in_bps)} in, {format_bitrate(out_bps)} out"


def conflict(
    index: int,
    *,
    port_id: int,
    bucket: int,
    stored: tuple[int, int],
    received: tuple[int, int],
    events: list[UsageEvent],
    batch: UsageBatch,
    sent_before: tuple[int, int] | None = None,
) -> SampleResult:
    """Refuse a sample whose bucket already holds other rates, and record the conflict.

    ``sent_before``: what was received for the bucket when it was stored capped at the port's
    speed (``received_before``), which a sample must repeat to be a duplicate."""
    events.append(
        UsageEvent(
            port_id=port_id,
            batch=batch,
            kind=UsageEventKind.CONFLICT,
            ts=bucket,
            detail={"stored": list(stored), "received": list(received)},
        )
    )
    reason = f"conflict: the bucket already holds {rates_text(*stored)}"
    if sent_before is not None and sent_before != stored:
        reason += f", capped from {rates_text(*sent_before)} received before"
    return SampleResult(index, SampleDecision.CONFLICT, reason, stored=stored)


def received_before(
    stored: dict[tuple[int, int], tuple[int, int]],
) -> dict[tuple[int, int], tuple[int, int]]:
    """What was received for stored buckets ``stored`` ((port id, bucket) -> the rates stored)
    that were capped at the port's speed when they were stored, from the ``clamp`` event then
    recorded; a bucket stored as received is left out.

    Ingest asks only for buckets holding a rate equal to the port's speed (one query, rarely
    made). A sample repeating what was received is a duplicate, any other is a conflict, though
    it would be capped to the same rates."""
    if not stored:
        return {}
    found: dict[tuple[int, int], tuple[int, int]] = {}
    events = (
        UsageEvent.objects.filter(
            kind=UsageEventKind.CLAMP,
            port_id__in={port for port, _ in stored},
            ts__in={bucket for _, bucket in stored},
        )
        .order_by("pk")
        .values_list("port_id", "ts", "detail")
    )
    for port_id, ts, detail in events:
        key = (port_id, ts)
        if key not in stored or key in found:
            continue  # the first clamp of a bucket is the one stored
        try:
            sent = (int(detail["in_bps"]), int(detail["out_bps"]))
            speed = int(detail["speed_bps"])
        except (KeyError, TypeError, ValueError):
            continue  # a counter's clamp recorded before rates were capped in one place
        if (min(sent[0], speed), min(sent[1], speed)) == stored[key]:
            found[key] = sent
    return found


class ClaimedDay(NamedTuple):
    pk: int
    inserted: bool  # True: the proposed rates were inserted; False: the stored row, locked
    in_bps: bytes
    out_bps: bytes


def claim_days(
    proposed: dict[tuple[int, int], tuple[bytes, bytes]],
) -> dict[tuple[int, int], ClaimedDay]:
    """Day rows for ``proposed`` keys (port id, days since 1970): a day not stored yet is
    inserted with the proposed (packed) rates; a day already stored is locked and returned.

    Inserting first, in key order, and then locking what was there, in key order, keeps
    concurrent batches from deadlocking: an insert waits only for another batch's uncommitted
    insert of the same day, which that batch made before taking any lock.
    """
    table = UsageDay._meta.db_table
    keys = sorted(proposed)
    claimed: dict[tuple[int, int], ClaimedDay] = {}
    with _bytes_cursor() as (cursor, _):
        for chunk in _chunks(keys):
            if connection.vendor == "postgresql":  # four arrays, whatever the number of rows
                rows = (  # in the arrays' (key) order
                    "SELECT p, d, i, o FROM unnest(%b::bigint[], %b::date[], %b::bytea[], "
                    "%b::bytea[]) WITH ORDINALITY AS proposed (p, d, i, o, n) ORDER BY n"
                )
                params: list[Any] = [
                    [port_id for port_id, _ in chunk],
                    [EPOCH + datetime.timedelta(days=day) for _, day in chunk],
                    *map(list, zip(*(proposed[key] for key in chunk), strict=True)),
                ]
            else:
                rows = "VALUES " + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                params = [
                    value
                    for port_id, day in chunk
                    for value in (port_id, _day_value(day), *proposed[(port_id, day)])
                ]
            cursor.execute(
                f"INSERT INTO {table} (port_id, day, in_bps, out_bps) {rows} "
                "ON CONFLICT (port_id, day) DO NOTHING RETURNING id, port_id, day",
                params,
            )
            for pk, port_id, day in cursor.fetchall():
                key = (port_id, _day_number(day))
                claimed[key] = ClaimedDay(pk, True, *proposed[key])
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        for chunk in _chunks([key for key in keys if key not in claimed]):
            cursor.execute(
                f"SELECT id, port_id, day, in_bps, out_bps FROM {table} "  # noqa: S608
                "WHERE (port_id, day) IN ("
                + ", ".join(["(%s, %s)"] * len(chunk))
                + f") ORDER BY port_id, day{lock}",
                [value for port_id, day in chunk for value in (port_id, _day_value(day))],
            )
            for pk, port_id, day, in_bps, out_bps in cursor.fetchall():
                claimed[(port_id, _day_number(day))] = ClaimedDay(
                    pk, False, bytes(in_bps), bytes(out_bps)
                )
    return claimed


def write_days(rows: list[tuple[int, bytes, bytes]]) -> None:
    """Save merged rates (pk, packed in, packed out) of day rows claimed by ``claim_days``."""
    if rows:
        with _bytes_cursor() as (cursor, binary):
            cursor.executemany(
                f"UPDATE {UsageDay._meta.db_table} "  # noqa: S608
                f"SET in_bps = {binary}, out_bps = {binary} WHERE id = %s",
                [(rates_in, rates_out, pk) for pk, rates_in, rates_out in rows],
            )


@contextmanager
def _bytes_cursor() -> Iterator[tuple[Any, str]]:
    """A cursor of the current connection and transaction, and the placeholder for a bytes
    parameter. On PostgreSQL, bytes go over in binary (Django's cursor would spell each 2 KB
    array out as a hex literal for the server to parse back)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor, "%s"
        return
    connection.ensure_connection()
    # Errors become Django's (OperationalError, IntegrityError...) as from Django's own cursor.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor, "%b"


def _chunks(keys: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    return [keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK)]


def _day_value(day: int) -> Any:
    return connection.ops.adapt_datefield_value(EPOCH + datetime.timedelta(days=day))


def _day_number(day: datetime.date | str) -> int:
    """Days since 1970 of a date column's value (SQLite may hand it back as text)."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return (day - EPOCH).days
