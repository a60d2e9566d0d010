"""The SNMP poller against a real SNMP agent simulator (snmpsim) serving recorded counters.

snmpsim answers each community from the data file of that name: ``rtr-t0`` holds the counters
recorded at one poll, ``rtr-t1`` those of the next one 300 seconds later.
"""

import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billing.models import UsageEvent, UsagePort
from billing.services.percentiles import month_usage, services_for_usage
from billing.services.polling import poll_counters
from billing.snmp import Target, read_counters

from .conftest import transit_service

pytestmark = pytest.mark.django_db

IN64, OUT64 = "1.3.6.1.2.1.31.1.1.1.6.7", "1.3.6.1.2.1.31.1.1.1.10.7"
RECORDINGS = {
    "rtr-t0": {IN64: 1_000_000_000, OUT64: 2_000_000_000},
    "rtr-t1": {IN64: 1_375_000_000, OUT64: 2_075_000_000},
    "rtr-reboot": {IN64: 5_000, OUT64: 7_000},
}


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
    process = subprocess.Popen(  # noqa: S603 - the simulator from our own virtualenv
        [
            responder,
            f"--data-dir={data}",
            f"--agent-udpv4-endpoint=127.0.0.1:{port}",
            f"--cache-dir={tmp_path_factory.mktemp('snmpcache')}",
            "--logging-method=null",
        ],
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
    )
    probe = Target(0, "127.0.0.1", port, "rtr-t0", 7, 64)
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
