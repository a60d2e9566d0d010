"""Reads of usage for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from leasing.models import Service
from organisations.access import Actor, visible_to

from .models import UsagePercentile
from .services.percentiles import (
    MonthUsage,
    Percentiles,
    month_usage,
    percentiles,
    services_for_usage,
)


@dataclass(frozen=True)
class ServiceUsage:
    usage: MonthUsage
    result: Percentiles
    frozen: bool

    @property
    def commit_bps(self) -> int | None:
        commit = self.usage.service.contract.commit_mbps
        return commit * 1_000_000 if commit else None


def visible_service(actor: Actor, circuit_id: str) -> Service | None:
    return visible_to(services_for_usage(), actor).filter(circuit_id=circuit_id).first()


def service_usage(service: Service, period: str) -> ServiceUsage:
    """The period's buckets and 95th; a result frozen by an issued invoice wins."""
    usage = month_usage([service], period)[service.pk]
    frozen = UsagePercentile.objects.filter(
        service=service, period=period, frozen_at__isnull=False
    ).first()
    if frozen is None:
        return ServiceUsage(usage, percentiles(usage), frozen=False)
    result = Percentiles(
        frozen.samples,
        frozen.missing,
        frozen.p95_in_bps,
        frozen.p95_out_bps,
        frozen.p95_sum_bps,
        frozen.billable_bps,
        frozen.rule,
    )
    return ServiceUsage(usage, result, frozen=True)
