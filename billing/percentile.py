"""The 95th percentile as domain.md defines it: nearest rank, the top 5% discarded. Pure.

Sort the N bucket rates ascending and take the value at rank ceil(0.95 x N), 1-based. This is
PostgreSQL's ``percentile_disc(0.95)`` and NumPy's ``percentile(..., method="inverted_cdf")``.
For a 30-day month N = 8640 and the top 432 samples are discarded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def nearest_rank(n: int) -> int:
    """The 1-based rank of the 95th percentile among ``n`` values: ceil(0.95 n), in integers."""
    if n < 1:
        raise ValueError("no values")
    return (19 * n + 19) // 20


def p95(values: Sequence[int] | np.ndarray) -> int | None:
    """The 95th percentile of ``values`` (bit/s), or None when there are none."""
    array = np.asarray(values, dtype=np.int64)
    if array.size == 0:
        return None
    k = nearest_rank(int(array.size)) - 1
    return int(np.partition(array, k)[k])
