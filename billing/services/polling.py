"""The SNMP poller: every 5 minutes, read every polled port's counters and ingest them."""

from __future__ import annotations

import datetime

from django.utils import timezone

from organisations.access import SystemActor
from organisations.choices import Role

from ..choices import UsageEventKind, UsageSource
from ..models import UsageEvent, UsagePort
from ..snmp import Target, read_counters
from .usage import IngestResult, ingest

POLLER = SystemActor(organisation=None, role=Role.PLATFORM_ADMIN, label="SNMP poller")


def poll_counters(*, at: datetime.datetime | None = None) -> IngestResult | None:
    """Read the counters of every polled port at ``at`` (now) and ingest them as readings.

    A router that does not answer leaves its buckets missing; the failure is recorded.
    """
    at = at or timezone.now()
    ports = list(
        UsagePort.objects.filter(is_active=True, service__terminated_on__isnull=True)
        .exclude(snmp_host="")
        .exclude(if_index__isnull=True)
        .select_related("service")
    )
    if not ports:
        return None
    readings = read_counters(
        [
            Target(p.pk, p.snmp_host, p.snmp_port, p.snmp_community, p.if_index, p.counter_bits)
            for p in ports
        ]
    )
    samples, failures = [], []
    stamp = at.isoformat()
    for port in ports:
        reading = readings[port.pk]
        if isinstance(reading, Exception):
            failures.append(
                UsageEvent(
                    port=port,
                    kind=UsageEventKind.POLL_FAILED,
                    ts=int(at.timestamp()),
                    detail={"error": str(reading)[:500]},
                )
            )
            continue
        samples.append(
            {
                "circuit_id": port.service.circuit_id,
                "port": port.name,
                "ts": stamp,
                "in_octets": reading[0],
                "out_octets": reading[1],
            }
        )
    UsageEvent.objects.bulk_create(failures)
    return ingest(samples=samples, actor=POLLER, source=UsageSource.SNMP, now=at)
