"""Reading interface octet counters over SNMP (pysnmp, asyncio): many ports at once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    get_cmd,
)

# IF-MIB: 64-bit ifHCInOctets / ifHCOutOctets, 32-bit ifInOctets / ifOutOctets.
COUNTER_OIDS = {
    64: ("1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"),
    32: ("1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.2.2.1.16"),
}


@dataclass(frozen=True)
class Target:
    key: int
    host: str
    port: int
    community: str
    if_index: int
    counter_bits: int


async def _read(
    engine: SnmpEngine, target: Target, timeout: float, retries: int
) -> tuple[int, int]:
    transport = await UdpTransportTarget.create(
        (target.host, target.port), timeout=timeout, retries=retries
    )
    in_oid, out_oid = COUNTER_OIDS[target.counter_bits]
    error, status, index, binds = await get_cmd(
        engine,
        CommunityData(target.community, mpModel=1),  # noqa: S508 - v2c on the management network
        transport,
        ContextData(),
        ObjectType(ObjectIdentity(f"{in_oid}.{target.if_index}")),
        ObjectType(ObjectIdentity(f"{out_oid}.{target.if_index}")),
    )
    if error:
        raise OSError(str(error))
    if status:
        raise OSError(f"{status.prettyPrint()} at {index}")
    return int(binds[0][1]), int(binds[1][1])


async def _read_all(
    targets: list[Target], timeout: float, retries: int
) -> dict[int, tuple[int, int] | Exception]:
    engine = SnmpEngine()
    try:
        results = await asyncio.gather(
            *(_read(engine, t, timeout, retries) for t in targets), return_exceptions=True
        )
    finally:
        engine.close_dispatcher()
    return {t.key: r for t, r in zip(targets, results, strict=True)}


def read_counters(
    targets: list[Target], *, timeout: float = 2.0, retries: int = 1
) -> dict[int, tuple[int, int] | Exception]:
    """Each target's (in, out) octets, or the error that prevented reading them."""
    if not targets:
        return {}
    return asyncio.run(_read_all(targets, timeout, retries))
