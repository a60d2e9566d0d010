"""The SNMP poller against a real SNMP agent simulator (snmpsim) serving recorded counters.

snmpsim answers each community (SNMPv2c) or context name (SNMPv3) from the data file of that
name: ``rtr-t0`` holds the counters recorded at one poll, ``rtr-t1`` those of the next one 300
seconds later. Its SNMPv3 users are those of ``V3_USERS``.
"""

import datetime
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billing.models import CounterState, UsageEvent, UsagePort
from billing.services.polling import poll_counters, snmp_target
from billing.services.usage_percentiles import month_usage, services_for_usage
from billing.snmp import Target, V2c, read_counters

from .conftest import transit_service

pytestmark = pytest.mark.django_db

IN64, OUT64 = "1.3.6.1.2.1.31.1.1.1.6.7", "1.3.6.1.2.1.31.1.1.1.10.7"
RECORDINGS = {
    "rtr-t0": {IN64: 1_000_000_000, OUT64: 2_000_000_000},
    "rtr-t1": {IN64: 1_375_000_000, OUT64: 2_075_000_000},
    "rtr-reboot": {IN64: 5_000, OUT64: 7_000},
}
AUTH_KEY, PRIV_KEY = "auth-Key-0f-poller", "priv-Key-0f-poller"
#: The agent's SNMPv3 users: (user, auth protocol, auth key, privacy protocol, privacy key),
#: in snmpsim's names of the protocols.
V3_USERS = [
    ("poller", "SHA", AUTH_KEY, "AES", PRIV_KEY),
    ("poller-256", "SHA256", "auth-key-256-poller", "AES256BLMT", "priv-key-256-poller"),
    ("poller-256c", "SHA512", "auth-key-256c-poller", "AES256", "priv-key-256c-poller"),
    ("poller-noprivacy", "SHA", "auth-key-only-poller", None, None),
]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def snmp_agent(tmp_path_factory):
    data = tmp_path_factory.mktemp("snmprec")
    for community, values in RECORDINGS.items():
        lines = [f"{oid}|70|{value}" for oid, value in sorted(values.items())]
        (data / f"{community}.snmprec").write_text("\n".join(lines) + "\n")
    port = _free_udp_port()
    responder = shutil.which("snmpsim-command-responder", path=str(Path(sys.executable).parent))
    users = []
    for user, auth_protocol, auth_key, priv_protocol, priv_key in V3_USERS:
        users += [f"--v3-user={user}", f"--v3-auth-key={auth_key}"]
        users += [f"--v3-auth-proto={auth_protocol}"]
        if priv_protocol:
            users += [f"--v3-priv-proto={priv_protocol}", f"--v3-priv-key={priv_key}"]
    process = subprocess.Popen(  # noqa: S603 - the simulator from our own virtualenv
        [
            responder,
            f"--data-dir={data}",
            f"--agent-udpv4-endpoint=127.0.0.1:{port}",
            f"--cache-dir={tmp_path_factory.mktemp('snmpcache')}",
            "--logging-method=null",
            *users,
        ],
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
    )
    probe = Target(0, "127.0.0.1", port, 7, 64, V2c("rtr-t0"))
    for _ in range(100):  # until the agent answers
        if not isinstance(read_counters([probe], timeout=0.5, retries=0)[0], Exception):
            break
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("snmpsim did not start")
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_the_poller_reads_counters_and_stores_the_rate(usage, snmp_agent):
    port = UsagePort.objects.create(
        service=usage.transit, name="bak-pe1:xe-0/0/7", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_community="rtr-t0", if_index=7,
    )  # fmt: skip
    t0 = datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC)
    first = poll_counters(at=t0)
    assert first.results[0].reason == "baseline: the first reading of this port"

    port.snmp_community = "rtr-t1"  # the next recording: 300 seconds later
    port.save()
    second = poll_counters(at=t0 + datetime.timedelta(seconds=300))
    assert [r.status for r in second.results] == ["accepted"]

    service = services_for_usage().get(pk=usage.transit.pk)
    month = month_usage([service], "2026-10")[service.pk]
    present = month.present
    assert list(month.in_bps[present]) == [10_000_000]  # 375,000,000 octets x 8 / 300 s
    assert list(month.out_bps[present]) == [2_000_000]
    bucket = int(month.timestamps()[present][0])
    assert bucket == int(datetime.datetime(2026, 10, 5, 10, 0, tzinfo=datetime.UTC).timestamp())


def test_a_rebooted_router_is_a_reset_not_a_spike(usage, snmp_agent):
    port = UsagePort.objects.create(
        service=usage.transit, name="p", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_community="rtr-t1", if_index=7,
    )  # fmt: skip
    t0 = datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC)
    poll_counters(at=t0)
    port.snmp_community = "rtr-reboot"
    port.save()
    result = poll_counters(at=t0 + datetime.timedelta(seconds=300))
    assert "reset" in result.results[0].reason
    assert UsageEvent.objects.filter(kind="reset").count() == 1
    service = services_for_usage().get(pk=usage.transit.pk)
    assert month_usage([service], "2026-10")[service.pk].samples == 0


def test_a_router_that_does_not_answer_leaves_the_bucket_missing_and_says_so(usage, snmp_agent):
    UsagePort.objects.create(
        service=usage.transit, name="p", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_community="no-such-recording", if_index=7,
    )  # fmt: skip
    poll_counters(at=datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC))
    failure = UsageEvent.objects.get()
    assert failure.kind == "poll_failed"
    assert failure.detail["error"]


def test_only_active_services_ports_with_an_address_are_polled(usage, snmp_agent):
    ended = transit_service(usage, activated_on=datetime.date(2026, 1, 1))
    UsagePort.objects.create(
        service=ended,
        name="p",
        snmp_host="127.0.0.1",
        snmp_port=snmp_agent,
        snmp_community="rtr-t0",
        if_index=7,
    )
    ended.terminated_on = datetime.date(2026, 6, 1)
    ended.save()
    UsagePort.objects.create(service=usage.transit, name="manual")  # fed by the API only
    assert poll_counters(at=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC)) is None


def _v3_port(usage, snmp_agent, name: str, **settings) -> UsagePort:
    settings = {
        "snmp_v3_user": "poller",
        "snmp_v3_auth_protocol": "sha",
        "snmp_v3_auth_key": AUTH_KEY,
        "snmp_v3_priv_protocol": "aes128",
        "snmp_v3_priv_key": PRIV_KEY,
        "snmp_v3_context": "rtr-t0",
        **settings,
    }
    port = UsagePort(
        service=usage.transit, name=name, snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_version="v3", if_index=7, **settings,
    )  # fmt: skip
    port.full_clean()
    port.save()
    return port


def _rate(usage) -> tuple[list[int], list[int]]:
    service = services_for_usage().get(pk=usage.transit.pk)
    month = month_usage([service], "2026-10")[service.pk]
    return list(month.in_bps[month.present]), list(month.out_bps[month.present])


def test_a_v2c_port_and_a_v3_auth_priv_port_are_read_in_one_run(usage, snmp_agent):
    v2c = UsagePort.objects.create(
        service=usage.transit, name="v2c", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_community="rtr-t0", if_index=7,
    )  # fmt: skip
    v3 = _v3_port(usage, snmp_agent, "v3")  # SHA + AES-128, the context names the recording
    t0 = datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC)
    assert len(poll_counters(at=t0).results) == 2
    for port in (v2c, v3):
        counter = CounterState.objects.get(port=port)
        assert (counter.in_octets, counter.out_octets) == (1_000_000_000, 2_000_000_000)

    v2c.snmp_community = v3.snmp_v3_context = "rtr-t1"
    v2c.save()
    v3.save()
    poll_counters(at=t0 + datetime.timedelta(seconds=300))
    assert not UsageEvent.objects.filter(kind="poll_failed").exists()
    # Two ports of one service, summed per bucket: 2 x 10 Mbit/s in, 2 x 2 Mbit/s out.
    assert _rate(usage) == ([20_000_000], [4_000_000])


@pytest.mark.parametrize(
    ("credentials", "octets"),
    [
        (  # SHA-256 with AES-256 (Blumenthal key extension, Net-SNMP's AES-256)
            {"snmp_v3_user": "poller-256", "snmp_v3_auth_protocol": "sha256",
             "snmp_v3_auth_key": "auth-key-256-poller", "snmp_v3_priv_protocol": "aes256",
             "snmp_v3_priv_key": "priv-key-256-poller"},
            (1_000_000_000, 2_000_000_000),
        ),
        (  # SHA-512 with AES-256-C (Reeder key extension, Cisco's)
            {"snmp_v3_user": "poller-256c", "snmp_v3_auth_protocol": "sha512",
             "snmp_v3_auth_key": "auth-key-256c-poller", "snmp_v3_priv_protocol": "aes256c",
             "snmp_v3_priv_key": "priv-key-256c-poller", "snmp_v3_context": "rtr-reboot"},
            (5_000, 7_000),
        ),
        (  # authNoPriv
            {"snmp_v3_user": "poller-noprivacy", "snmp_v3_security_level": "authNoPriv",
             "snmp_v3_auth_key": "auth-key-only-poller", "snmp_v3_priv_key": ""},
            (1_000_000_000, 2_000_000_000),
        ),
    ],
)  # fmt: skip
def test_v3_protocols_and_security_levels(usage, snmp_agent, credentials, octets):
    port = _v3_port(usage, snmp_agent, "v3", **credentials)
    poll_counters(at=datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC))
    assert not UsageEvent.objects.exists()
    counter = CounterState.objects.get(port=port)
    assert (counter.in_octets, counter.out_octets) == octets


def test_wrong_v3_keys_fail_their_own_port_and_the_others_are_read(usage, snmp_agent):
    good = _v3_port(usage, snmp_agent, "good")
    v2c = UsagePort.objects.create(
        service=usage.transit, name="v2c", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_community="rtr-t0", if_index=7,
    )  # fmt: skip
    wrong_auth = _v3_port(usage, snmp_agent, "wrong-auth", snmp_v3_auth_key="not-the-auth-key")
    wrong_priv = _v3_port(usage, snmp_agent, "wrong-priv", snmp_v3_priv_key="not-the-priv-key")
    wrong_level = _v3_port(
        usage, snmp_agent, "wrong-level", snmp_v3_security_level="authNoPriv"
    )  # the router's user wants authPriv
    unknown = _v3_port(usage, snmp_agent, "unknown-user", snmp_v3_user="nobody")
    at = datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC)

    result = poll_counters(at=at)  # the whole run completes

    assert len(result.results) == 2  # the readings of the two ports that answered
    assert set(CounterState.objects.values_list("port", flat=True)) == {good.pk, v2c.pk}
    failures = {
        event.port_id: event.detail["error"]
        for event in UsageEvent.objects.filter(kind="poll_failed", ts=int(at.timestamp()))
    }
    assert failures == {
        wrong_auth.pk: "SNMPv3 authentication failed for user 'poller': the router rejected "
        "the digest (wrong auth key or auth protocol)",
        wrong_priv.pk: "SNMPv3 decryption failed for user 'poller': the router could not "
        "decrypt the request (wrong privacy key or privacy protocol)",
        wrong_level.pk: "The router does not accept authNoPriv for the SNMPv3 user 'poller' "
        "(check the security level)",
        unknown.pk: "The router does not know the SNMPv3 user 'nobody'",
    }


def test_v3_secrets_are_never_logged_nor_recorded(usage, snmp_agent, caplog):
    wrong_auth = _v3_port(usage, snmp_agent, "wrong-auth", snmp_v3_auth_key="not-the-auth-key")
    wrong_priv = _v3_port(usage, snmp_agent, "wrong-priv", snmp_v3_priv_key="not-the-priv-key")
    _v3_port(usage, snmp_agent, "bad-context", snmp_v3_context="no-such-recording")
    secrets = [AUTH_KEY, PRIV_KEY, "not-the-auth-key", "not-the-priv-key"]
    with caplog.at_level(logging.DEBUG):
        poll_counters(at=datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC))
    recorded = " ".join(str(e.detail) for e in UsageEvent.objects.all())
    assert UsageEvent.objects.count() == 3
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in recorded
        assert secret not in repr(snmp_target(wrong_auth)) + repr(snmp_target(wrong_priv))


def test_credentials_the_form_would_refuse_fail_their_port_without_showing_the_key(
    usage, snmp_agent
):
    port = UsagePort.objects.create(  # written around the validation, as a script could
        service=usage.transit, name="v3", snmp_host="127.0.0.1", snmp_port=snmp_agent,
        snmp_version="v3", snmp_v3_user="poller", snmp_v3_auth_key="ключ-аутентификации",
        snmp_v3_priv_key=PRIV_KEY, if_index=7,
    )  # fmt: skip
    poll_counters(at=datetime.datetime(2026, 10, 5, 10, 0, 10, tzinfo=datetime.UTC))
    failure = UsageEvent.objects.get(port=port, kind="poll_failed")
    assert failure.detail == {
        "error": "The port's SNMP credentials cannot be sent: they must be printable ASCII"
    }


def test_an_error_that_echoes_a_secret_is_recorded_without_it():
    target = Target(1, "public-secret.invalid", 161, 7, 64, V2c("public-secret"))
    error = str(read_counters([target], timeout=0.5, retries=0)[1])
    assert "Bad IPv4/UDP transport address <hidden>.invalid" in error
    assert "public-secret" not in error
