"""Usage series: a bulk body of rates a service at a time, for backfills and batching collectors.

``POST /api/v1/usage/series/`` takes ::

    {"series": [{"circuit_id": "...", "start": "2026-10-01T00:00:00Z",
                 "in_bps": [int | null, ...], "out_bps": [int | null, ...], "port": "..."}]}

the rates of consecutive 5-minute buckets from ``start`` (``port`` only for a service of several
ports). Each bucket with a rate is a sample, decided exactly as ``/usage/samples/`` decides it:
accepted, duplicate or rejected with a reason. A bucket null both ways is a gap, not a sample; one
null and one rate is a sample refused. Samples are numbered series by series, bucket by bucket.

A body whose shape is wrong (not JSON, an unknown key, a value of the wrong type, a ``start`` that
is not a bucket's, arrays of different lengths, too many buckets) is refused whole.
"""

from __future__ import annotations

import datetime
import itertools
import operator
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np

from ..counters import BUCKET_SECONDS
from .usage_columns import RateColumns, plain_columns
from .usage_days import parse_timestamp, timestamp_text

MAX_SERIES_SAMPLES = 100_000  # buckets a request: a day of 347 services, a month of 11
# The buckets a time can name: Python's datetime spans the years 1 to 9999.
_FIRST_TS = int(datetime.datetime.min.replace(tzinfo=datetime.UTC).timestamp())
_LAST_TS = int(datetime.datetime(9999, 12, 31, 23, 55, tzinfo=datetime.UTC).timestamp())


class SeriesShapeError(ValueError):
    """A body that is JSON but not ``{"series": [...]}`` as documented; says where."""


class SeriesNotJSON(ValueError):
    """A body that is not JSON at all."""


class Series(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    circuit_id: str
    start: str
    in_bps: list[int | None]  # msgspec takes neither a bool nor a float for an int
    out_bps: list[int | None]
    port: str | None = None


class _SeriesBody(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    series: list[Series]


class _AnyValues(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A series whose rates may be of any JSON type: each wrong one is that sample's refusal."""

    circuit_id: str
    start: str
    in_bps: list[Any]
    out_bps: list[Any]
    port: str | None = None


class _AnyValuesBody(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    series: list[_AnyValues]


_DECODER = msgspec.json.Decoder(_SeriesBody)
_ANY_VALUES_DECODER = msgspec.json.Decoder(_AnyValuesBody)
_INT_OR_NULL = {int, type(None)}


@dataclass
class SeriesBatch:
    """A decoded series body: each sample's series and bucket, and the samples as columns when
    the column path may take them (else ``columns`` is None)."""

    series: list[Series] | list[_AnyValues]
    starts: list[int]  # each series' first bucket (UNIX seconds)
    series_of: np.ndarray  # each sample's series
    ts: np.ndarray  # each sample's bucket (UNIX seconds)
    columns: RateColumns | None = None

    @property
    def size(self) -> int:
        return int(self.ts.size)

    def samples(self) -> list[dict[str, Any]]:
        """The samples as ``/usage/samples/`` would have them, in order (for the per-sample
        path). A rate that is null or not a number stays so, and is refused there."""
        out = []
        for number, ts in zip(self.series_of.tolist(), self.ts.tolist(), strict=True):
            series = self.series[number]
            slot = (ts - self.starts[number]) // BUCKET_SECONDS
            sample: dict[str, Any] = {
                "circuit_id": series.circuit_id,
                "ts": timestamp_text(ts),
                "in_bps": series.in_bps[slot],
                "out_bps": series.out_bps[slot],
            }
            if series.port is not None:
                sample["port"] = series.port
            out.append(sample)
        return out

    def where(self, indices: list[int]) -> list[tuple[int, str]]:
        """The series and the bucket (ISO 8601) of each sample of ``indices``."""
        stamps, which = np.unique(self.ts[indices], return_inverse=True)
        texts = [timestamp_text(ts) for ts in stamps.tolist()]
        return list(
            zip(
                self.series_of[indices].tolist(),
                [texts[i] for i in which.tolist()],
                strict=True,
            )
        )


def decode_series(raw: bytes, now_ts: int) -> SeriesBatch:
    """The samples of a series body; ``SeriesNotJSON`` or ``SeriesShapeError`` if it is not
    one."""
    try:
        series: list[Series] | list[_AnyValues] = _DECODER.decode(raw).series
        typed = True
    except msgspec.ValidationError as error:  # JSON, but not this shape: msgspec says where
        try:  # a rate of another type is refused alone, as in /usage/samples/
            series = _ANY_VALUES_DECODER.decode(raw).series
        except msgspec.ValidationError:
            raise SeriesShapeError(str(error)) from None
        typed = False
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        raise SeriesNotJSON(f"JSON parse error - {error}") from None
    starts = []
    for number, one in enumerate(series):
        where = f"series[{number}]"
        try:
            start = parse_timestamp(one.start, f"{where}.start")
        except ValueError as error:
            raise SeriesShapeError(str(error)) from None
        if start % BUCKET_SECONDS:
            raise SeriesShapeError(
                f"{where}.start must be the start of a 5-minute bucket (…:00, :05, …)"
            )
        if len(one.in_bps) != len(one.out_bps):
            raise SeriesShapeError(f"{where}: in_bps and out_bps must be of the same length")
        if start < _FIRST_TS or start + BUCKET_SECONDS * (len(one.in_bps) - 1) > _LAST_TS:
            raise SeriesShapeError(f"{where}: its buckets must fall in the years 1 to 9999")
        starts.append(int(start))
    if sum(len(one.in_bps) for one in series) > MAX_SERIES_SAMPLES:
        raise SeriesShapeError(f"at most {MAX_SERIES_SAMPLES} buckets per request")

    ins, outs, offsets = [], [], []
    plain = True  # every sample a rate sample with two whole numbers: the column path may try
    for one in series:
        if not typed and not set(map(type, one.in_bps + one.out_bps)) <= _INT_OR_NULL:
            plain = False
            in_given = np.array([value is not None for value in one.in_bps], dtype=bool)
            out_given = np.array([value is not None for value in one.out_bps], dtype=bool)
            offsets.append(np.flatnonzero(in_given | out_given))
            continue
        in_bps, in_given = _rates(one.in_bps)
        out_bps, out_given = _rates(one.out_bps)
        ins.append(in_bps)
        outs.append(out_bps)
        if in_given is None and out_given is None:  # the usual series: a rate in every bucket
            offsets.append(np.arange(len(one.in_bps), dtype=np.int64))
            continue
        every = np.ones(len(one.in_bps), dtype=bool)
        in_given = every if in_given is None else in_given
        out_given = every if out_given is None else out_given
        plain = plain and bool((in_given == out_given).all())  # else the per-sample path's
        offsets.append(np.flatnonzero(in_given | out_given))
    counts = [offset.size for offset in offsets]
    series_of = np.repeat(np.arange(len(series), dtype=np.int64), counts)
    ts = np.repeat(np.array(starts, dtype=np.int64), counts)
    if offsets:
        ts += np.concatenate(offsets) * BUCKET_SECONDS
    batch = SeriesBatch(series, starts, series_of, ts)
    if plain and batch.size and all(one.port is None for one in series):
        batch.columns = plain_columns(
            [one.circuit_id for one in series],
            ts,
            np.concatenate([r[o] for r, o in zip(ins, offsets, strict=True)]),
            np.concatenate([r[o] for r, o in zip(outs, offsets, strict=True)]),
            now_ts=now_ts,
            group=series_of,
        )
    return batch


def _rates(values: list[int | None]) -> tuple[np.ndarray, np.ndarray | None]:
    """A series' rates as int64 and where a rate is given (None: in every bucket). A null, and
    a rate beyond int64, become -1: the column path declines it, and the per-sample path refuses
    it from the value as sent."""
    try:
        return np.array(values, dtype=np.int64), None
    except (TypeError, OverflowError):  # a null, or a number beyond 64 bits
        pass
    given = np.fromiter(
        map(operator.is_not, values, itertools.repeat(None)), dtype=bool, count=len(values)
    )
    rates = [-1 if value is None or not -(2**63) <= value < 2**63 else value for value in values]
    return np.array(rates, dtype=np.int64), None if given.all() else given
