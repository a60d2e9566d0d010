"""Reading interface octet counters over SNMP (pysnmp, asyncio): many ports at once.

A router is read with SNMPv2c (a community) or SNMPv3 (a USM user, authNoPriv or authPriv).
Secrets (communities and keys) never appear in a ``repr``, a message or a log line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field

from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB192_AES_BLUMENTHAL,
    USM_PRIV_CFB256_AES,
    USM_PRIV_CFB256_AES_BLUMENTHAL,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
)
from pysnmp.proto import errind

from .choices import SnmpAuthProtocol, SnmpPrivProtocol

# IF-MIB: 64-bit ifHCInOctets / ifHCOutOctets, 32-bit ifInOctets / ifOutOctets.
COUNTER_OIDS = {
    64: ("1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"),
    32: ("1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.2.2.1.16"),
}

AUTH_PROTOCOLS = {
    SnmpAuthProtocol.SHA: USM_AUTH_HMAC96_SHA,
    SnmpAuthProtocol.SHA224: USM_AUTH_HMAC128_SHA224,
    SnmpAuthProtocol.SHA256: USM_AUTH_HMAC192_SHA256,
    SnmpAuthProtocol.SHA384: USM_AUTH_HMAC256_SHA384,
    SnmpAuthProtocol.SHA512: USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    SnmpPrivProtocol.AES128: USM_PRIV_CFB128_AES,
    SnmpPrivProtocol.AES192: USM_PRIV_CFB192_AES_BLUMENTHAL,
    SnmpPrivProtocol.AES256: USM_PRIV_CFB256_AES_BLUMENTHAL,
    SnmpPrivProtocol.AES192C: USM_PRIV_CFB192_AES,
    SnmpPrivProtocol.AES256C: USM_PRIV_CFB256_AES,
}


@dataclass(frozen=True)
class V2c:
    community: str = field(repr=False)


@dataclass(frozen=True)
class V3:
    """A USM user; without a privacy protocol it is used at authNoPriv."""

    user: str
    auth_protocol: str
    auth_key: str = field(repr=False)
    priv_protocol: str = ""
    priv_key: str = field(default="", repr=False)
    context: str = ""

    @property
    def security_level(self) -> str:
        return "authPriv" if self.priv_protocol else "authNoPriv"


@dataclass(frozen=True)
class Target:
    key: int
    host: str
    port: int
    if_index: int
    counter_bits: int
    credentials: V2c | V3


class SnmpError(OSError):
    """Why a target could not be read, in words an operator can act on (never a secret)."""


def _auth_data(credentials: V2c | V3) -> CommunityData | UsmUserData:
    if isinstance(credentials, V2c):
        return CommunityData(credentials.community, mpModel=1)  # noqa: S508 - v2c where chosen
    return UsmUserData(
        credentials.user,
        authKey=credentials.auth_key,
        authProtocol=AUTH_PROTOCOLS[SnmpAuthProtocol(credentials.auth_protocol)],
        privKey=credentials.priv_key if credentials.priv_protocol else None,
        privProtocol=(
            PRIV_PROTOCOLS[SnmpPrivProtocol(credentials.priv_protocol)]
            if credentials.priv_protocol
            else None
        ),
    )


def _explain(indication: errind.ErrorIndication, credentials: V2c | V3) -> str:
    """The pysnmp error indication as a sentence that names the setting to check."""
    if isinstance(credentials, V3):
        user = f"SNMPv3 user {credentials.user!r}"
        if isinstance(indication, errind.WrongDigest):
            return (
                f"SNMPv3 authentication failed for user {credentials.user!r}: the router "
                "rejected the digest (wrong auth key or auth protocol)"
            )
        if isinstance(indication, errind.DecryptionError):
            return (
                f"SNMPv3 decryption failed for user {credentials.user!r}: the router could "
                "not decrypt the request (wrong privacy key or privacy protocol)"
            )
        if isinstance(indication, errind.UnknownUserName):
            return f"The router does not know the {user}"
        if isinstance(indication, errind.UnsupportedSecurityLevel):
            return (
                f"The router does not accept {credentials.security_level} for the {user} "
                "(check the security level)"
            )
        if isinstance(indication, errind.NotInTimeWindow):
            return f"SNMPv3 request outside the router's time window for the {user}"
        if isinstance(indication, errind.EncryptionError):
            return "SNMPv3 privacy unavailable: the cryptography package is not installed"
    if isinstance(indication, errind.RequestTimedOut):
        hint = "community" if isinstance(credentials, V2c) else "context"
        return f"No SNMP response before the timeout (check the address, port and {hint})"
    return str(indication)


def _redact(message: str, credentials: V2c | V3) -> str:
    secrets = (
        [credentials.community]
        if isinstance(credentials, V2c)
        else [credentials.auth_key, credentials.priv_key]
    )
    for secret in filter(None, secrets):
        message = message.replace(secret, "<hidden>")
    return message


async def _read(
    engine: SnmpEngine, target: Target, timeout: float, retries: int
) -> tuple[int, int]:
    credentials = target.credentials
    try:
        transport = await UdpTransportTarget.create(
            (target.host, target.port), timeout=timeout, retries=retries
        )
        context = ContextData(
            contextName=credentials.context if isinstance(credentials, V3) else ""
        )
        in_oid, out_oid = COUNTER_OIDS[target.counter_bits]
        error, status, index, binds = await get_cmd(
            engine,
            _auth_data(credentials),
            transport,
            context,
            ObjectType(ObjectIdentity(f"{in_oid}.{target.if_index}")),
            ObjectType(ObjectIdentity(f"{out_oid}.{target.if_index}")),
        )
    except UnicodeError:
        raise SnmpError(
            "The port's SNMP credentials cannot be sent: they must be printable ASCII"
        ) from None
    except Exception as unexpected:  # one port's failure: recorded for that port, secrets hidden
        message = f"{type(unexpected).__name__}: {unexpected}".rstrip(": ")
        raise SnmpError(_redact(message, credentials)) from None
    if error:
        raise SnmpError(_explain(error, credentials))
    if status:
        raise SnmpError(f"{status.prettyPrint()} at {index}")
    return int(binds[0][1]), int(binds[1][1])


def _engine_key(credentials: V2c | V3) -> Hashable:
    """Targets that may share one SNMP engine.

    An engine holds one set of keys per USM user name, so each distinct set of v3 credentials
    gets an engine of its own (a fleet polled with one user needs one); communities coexist.
    """
    if isinstance(credentials, V2c):
        return "v2c"
    return (
        credentials.user,
        credentials.auth_protocol,
        credentials.auth_key,
        credentials.priv_protocol,
        credentials.priv_key,
    )


async def _read_all(
    targets: list[Target], timeout: float, retries: int
) -> dict[int, tuple[int, int] | Exception]:
    engines: dict[Hashable, SnmpEngine] = {}
    try:
        reads = []
        for target in targets:
            key = _engine_key(target.credentials)
            if key not in engines:
                engines[key] = SnmpEngine()
            reads.append(_read(engines[key], target, timeout, retries))
        results = await asyncio.gather(*reads, return_exceptions=True)
    finally:
        for engine in engines.values():
            engine.close_dispatcher()
    return {t.key: r for t, r in zip(targets, results, strict=True)}


def read_counters(
    targets: list[Target], *, timeout: float = 2.0, retries: int = 1
) -> dict[int, tuple[int, int] | Exception]:
    """Each target's (in, out) octets, or the error that prevented reading them."""
    if not targets:
        return {}
    return asyncio.run(_read_all(targets, timeout, retries))
