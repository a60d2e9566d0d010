"""A port's day of 5-minute rates, stored compactly: 288 little-endian int64 per direction.

One row per port and UTC day holds two 2,304-byte strings (in and out); a bucket with no data
holds ``MISSING`` (-1). About 16 bytes per bucket and direction pair on disk, see README.
"""

from __future__ import annotations

import datetime

import numpy as np

from .counters import BUCKET_SECONDS

DAY_BUCKETS = 86_400 // BUCKET_SECONDS  # 288
MISSING = -1
DTYPE = np.dtype("<i8")
EMPTY_DAY = np.full(DAY_BUCKETS, MISSING, dtype=DTYPE).tobytes()


def unpack(data: bytes | memoryview | None) -> np.ndarray:
    """The 288 rates of a stored day (a writable copy)."""
    if not data:
        return np.full(DAY_BUCKETS, MISSING, dtype=DTYPE)
    return np.frombuffer(bytes(data), dtype=DTYPE).copy()


def pack(rates: np.ndarray) -> bytes:
    return np.ascontiguousarray(rates, dtype=DTYPE).tobytes()


def day_and_index(bucket: int) -> tuple[datetime.date, int]:
    """The UTC day of a bucket (UNIX seconds of its start) and its index in that day."""
    day = datetime.datetime.fromtimestamp(bucket, tz=datetime.UTC).date()
    return day, (bucket % 86_400) // BUCKET_SECONDS


def day_start(day: datetime.date) -> int:
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp())
