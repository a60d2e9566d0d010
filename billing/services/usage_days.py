"""Stored usage days and what ingest says of a sample: the pieces both ingest paths share.

A day row (``UsageDay``) holds a port's 288 five-minute rates of one UTC day. ``claim_days`` gets
the rows a batch writes to (inserting the days not stored yet with the batch's rates), and
``write_days`` saves rows changed by merging.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
from django.db import connection

from leasing.models import Service

from ..choices import SampleStatus, UsageEventKind
from ..models import UsageBatch, UsageDay, UsageEvent, UsagePort

MAX_BPS = 10**13  # 10 Tbit/s: no port of this cable carries more
EARLIEST = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp())
EPOCH = datetime.date(1970, 1, 1)
CHUNK = 500  # day rows per statement
DEFAULT_PORT = "default"


@dataclass
class SampleResult:
    index: int
    status: SampleStatus
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.reason:
            body["reason"] = self.reason
        return body


def circuit_id_ok(circuit_id: str) -> bool:
    return 0 < len(circuit_id) <= 40 and "\x00" not in circuit_id


def parse_timestamp(value: Any, name: str = "ts") -> float:
    """UNIX seconds (with any fraction) of an ISO 8601 time with its offset; ``ValueError``
    says what is wrong (with ``name`` for the value)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(
            f"{name} must be an ISO 8601 time with its offset, e.g. 2026-10-01T00:05:00Z"
        )
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs an offset (Z or +04:00)")
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


def conflict(
    index: int,
    *,
    port_id: int,
    bucket: int,
    stored: tuple[int, int],
    received: tuple[int, int],
    events: list[UsageEvent],
    batch: UsageBatch,
) -> SampleResult:
    """Refuse a sample whose bucket already holds other rates, and record the conflict."""
    events.append(
        UsageEvent(
            port_id=port_id,
            batch=batch,
            kind=UsageEventKind.CONFLICT,
            ts=bucket,
            detail={"stored": list(stored), "received": list(received)},
        )
    )
    return SampleResult(
        index,
        SampleStatus.REJECTED,
        f"conflict: the bucket already holds {stored[0]}/{stored[1]} bit/s",
    )


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
