"""Whose revenue a line is: split between the owners of the route by their shares, day by day.

Ownership, settlement weights and site owners are dated. A line billing the days [first, last]
is split by the shares in force each day: the days are grouped into runs between the dates on
which anything of the route changes (fetched once for the range, never a query per day), each
operator gets sum(days_k / total_days x share_k), and ONE largest remainder makes the parts add
up to the line amount to the cent (``tax_and_split.TaxAndSplit.split``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Prefetch

from leasing.models import Path, Site, SiteOwnership
from leasing.selectors import (
    chain_of,
    path_operator_shares,
    paths_with_segments,
    route_changes,
    site_owner_on,
)
from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError

from ..split import blend_by_days


def load_route(*, path: Path | None, site: Site | None) -> tuple[Path | None, Site | None]:
    """The path with its chain, ownerships and weights, and the site with its dated owners,
    loaded once (a few queries) for ``shares_between``. Either may be ``None``."""
    if path is not None:
        path = paths_with_segments().get(pk=path.pk)
    if site is not None:
        site = (
            Site.objects.select_related("operator")
            .prefetch_related(
                Prefetch("ownerships", queryset=SiteOwnership.objects.select_related("operator"))
            )
            .get(pk=site.pk)
        )
    return path, site


def _shares_on(
    path: Path | None, site: Site | None, on: datetime.date
) -> dict[Organisation, Decimal]:
    if path is not None:
        shares = path_operator_shares(chain_of(path), on)
        if not shares:
            raise DomainError(f"Nobody owns the segments of {path.code} on {on}.")
        return shares
    if site is not None:
        return {site_owner_on(site, on): Decimal(1)}
    raise DomainError("A line needs a path or a site to be split.")


def shares_between(
    *,
    path: Path | None,
    site: Site | None,
    first: datetime.date,
    last: datetime.date,
) -> dict[Organisation, Decimal]:
    """Each operator's share of a line billing the days [first, last] (fractions summing to 1):
    the path's shares (segment weight x ownership) or the site's owner, day-weighted.

    ``path`` and ``site`` must come from ``load_route``: no query is made here. The path wins
    when both are given (a line without a path goes to the site's owner).
    """
    if last < first:
        raise ValueError(f"{last} is before {first}")
    route_path = path if path is not None else None
    route_site = site if path is None else None
    segments = chain_of(route_path) if route_path is not None else []
    starts = [first, *route_changes(segments, route_site, first, last)]
    ends = [*starts[1:], last + datetime.timedelta(days=1)]
    runs = [
        ((end - start).days, _shares_on(route_path, route_site, start))
        for start, end in zip(starts, ends, strict=True)
    ]
    return blend_by_days(runs)


def operator_shares(
    *, path: Path | None, site: Site | None, on: datetime.date
) -> dict[Organisation, Decimal]:
    """Each operator's share of a line's revenue on one day ``on``: the path's (segment weight
    x ownership on ``on``), or all of it to the site's owner that day for a line without a path."""
    path, site = load_route(path=path, site=site)
    return shares_between(path=path, site=site, first=on, last=on)
