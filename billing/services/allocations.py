"""Whose revenue a line is: split between the owners of the route by their shares on its date."""

from __future__ import annotations

import datetime
from decimal import Decimal

from leasing.models import Path, Site
from leasing.selectors import chain_of, path_operator_shares, paths_with_segments
from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError

from ..split import largest_remainder


def operator_shares(
    *, path: Path | None, site: Site | None, on: datetime.date
) -> dict[Organisation, Decimal]:
    """Each operator's share of a line's revenue: the path's (segment weight x ownership on
    ``on``), or all of it to the site's owner for a line without a path."""
    if path is not None:
        loaded = paths_with_segments().get(pk=path.pk)
        shares = path_operator_shares(chain_of(loaded), on)
        if not shares:
            raise DomainError(f"Nobody owns the segments of {path.code} on {on}.")
        return shares
    if site is not None:
        return {site.operator: Decimal(1)}
    raise DomainError("A line needs a path or a site to be split.")


def split_line(
    *,
    amount: Decimal,
    currency: str,
    path: Path | None,
    site: Site | None,
    on: datetime.date,
) -> dict[Organisation, Decimal]:
    """The line's net amount in parts per operator that add up to it to the cent."""
    return largest_remainder(amount, operator_shares(path=path, site=site, on=on), currency)
