"""The SNMP poller: every 5 minutes, read every polled port's counters and ingest them."""

from __future__ import annotations

import datetime

from django.utils import timezone

from organisations.access import SystemActor
from organisations.choices import Role

from ..choices import SnmpSecurityLevel, SnmpVersion, UsageEventKind, UsageSource
from ..models import UsageEvent, UsagePort
from ..snmp import V3, Target, V2c, read_counters
from .usage import IngestResult, ingest

POLLER = SystemActor(organisation=None, role=Role.PLATFORM_ADMIN, label="SNMP poller")


def snmp_target(port: UsagePort) -> Target:
    """What the SNMP reader needs to read a port, with the credentials of its chosen version."""
    credentials: V2c | V3
    if port.snmp_version == SnmpVersion.V3:
        priv = port.snmp_v3_security_level == SnmpSecurityLevel.AUTH_PRIV
        credentials = V3(
            user=port.snmp_v3_user,
            auth_protocol=port.snmp_v3_auth_protocol,
            auth_key=port.snmp_v3_auth_key,
            priv_protocol=port.snmp_v3_priv_protocol if priv else "",
            priv_key=port.snmp_v3_priv_key if priv else "",
            context=port.snmp_v3_context,
        )
    else:
        credentials = V2c(port.snmp_community)
    return Target(
        key=port.pk,
        host=port.snmp_host,
        port=port.snmp_port,
        if_index=port.if_index,
        counter_bits=port.counter_bits,
        credentials=credentials,
    )


def poll_counters(*, at: datetime.datetime | None = None) -> IngestResult | None:
    """Read the counters of every polled port at ``at`` (now) and ingest them as readings.

    A router that does not answer (or refuses the port's credentials) leaves its buckets
    missing; the failure is recorded for that port and the other ports are read all the same.
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
    readings = read_counters([snmp_target(port) for port in ports])
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
