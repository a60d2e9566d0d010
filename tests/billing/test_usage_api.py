"""Usage over the API and in the portal: ingest, the month's 95th, samples, chart, CSV."""

import datetime
import json
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from billing.models import UsageBatch
from billing.services.usage_archive import read_payload
from organisations.choices import Role

from ..conftest import key_client
from .conftest import transit_service

pytestmark = pytest.mark.django_db
OCT = datetime.datetime(2026, 9, 30, 20, 0, tzinfo=datetime.UTC)  # 1 October 00:00 in Baku


def _rates(circuit_id, values, start=OCT):
    return [
        {
            "circuit_id": circuit_id,
            "ts": (start + datetime.timedelta(minutes=5 * i)).isoformat().replace("+00:00", "Z"),
            "in_bps": v,
            "out_bps": v // 2,
        }
        for i, v in enumerate(values)
    ]


def test_operators_post_samples_and_get_a_result_per_sample(usage):
    samples = [
        *_rates(usage.transit.circuit_id, [3000000000, 1000000000]),
        {"circuit_id": "TCFO-X-1", "ts": "bad"},
    ]
    response = usage.collector.post("/api/v1/usage/samples/", {"samples": samples}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 1)
    assert body["results"] == [
        {
            "index": 2,
            "status": "rejected",
            "decision": "rejected",
            "reason": "ts is not an ISO 8601 time",
        }
    ]
    again = usage.collector.post(
        "/api/v1/usage/samples/", {"samples": samples[:2]}, format="json"
    ).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    batch = UsageBatch.objects.get(pk=body["batch"])
    assert json.loads(read_payload(batch))["samples"][0]["in_bps"] == 3_000_000_000  # as sent


@pytest.mark.parametrize(
    "body",
    [{}, {"samples": "all"}, [1, 2], {"samples": [{}] * 20_001}],
)
def test_a_malformed_ingest_body_is_a_400(usage, body):
    response = usage.collector.post("/api/v1/usage/samples/", body, format="json")
    assert response.status_code == 400
    assert "samples" in response.json()["errors"]


def test_only_operator_network_keys_feed_usage(usage):
    customer = key_client(usage.customer)[0]
    finance = key_client(usage.azt, Role.OPERATOR_FINANCE)[0]
    body = {"samples": _rates(usage.transit.circuit_id, [1])}
    assert customer.post("/api/v1/usage/samples/", body, format="json").status_code == 403
    assert finance.post("/api/v1/usage/samples/", body, format="json").status_code == 403


def test_the_usage_of_a_month_as_the_contract_says(usage):
    usage.collector.post(
        "/api/v1/usage/samples/",
        {"samples": _rates(usage.transit.circuit_id, list(range(1, 41)))},
        format="json",
    )
    customer = key_client(usage.customer)[0]
    response = customer.get(
        f"/api/v1/services/{usage.transit.circuit_id}/usage/", {"period": "2026-10"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "circuit_id": usage.transit.circuit_id,
        "period": "2026-10",
        "samples": 40,
        "missing": 8928 - 40,
        "p95_in_bps": 38,
        "p95_out_bps": 19,
        "billable_bps": 38,
        "rule": "greater_of",
        "commit_bps": 2_000_000_000,
        "frozen": False,
        "time_zone": "Asia/Baku",  # the month is the billing party's (AZT)
    }
    samples = customer.get(
        f"/api/v1/services/{usage.transit.circuit_id}/usage/samples/", {"period": "2026-10"}
    ).json()
    assert samples["samples"][0] == {"ts": "2026-09-30T20:00:00Z", "in_bps": 1, "out_bps": 0}
    assert len(samples["samples"]) == 40


@pytest.mark.parametrize("period", [None, "2026-13", "26-10", "october", "2026-1"])
def test_a_bad_period_is_a_400(usage, period):
    customer = key_client(usage.customer)[0]
    query = {} if period is None else {"period": period}
    response = customer.get(f"/api/v1/services/{usage.transit.circuit_id}/usage/", query)
    assert response.status_code == 400
    assert "period" in response.json()["errors"]


def test_another_customers_usage_answers_404_everywhere(usage, client):
    rival = key_client(usage.other_customer)[0]
    url = f"/api/v1/services/{usage.transit.circuit_id}/usage/"
    missing = rival.get("/api/v1/services/TCFO-IPT10-999999/usage/", {"period": "2026-10"})
    for path in (url, url + "samples/"):
        response = rival.get(path, {"period": "2026-10"})
        assert (
            (response.status_code, response.json())
            == (missing.status_code, missing.json())
            == (404, missing.json())
        )
    client.force_login(usage.rival_user)
    assert client.get(f"/services/{usage.transit.circuit_id}/usage/").status_code == 404
    assert client.get(f"/services/{usage.transit.circuit_id}/usage.csv").status_code == 404


def test_the_usage_page_draws_the_month_with_its_95th_and_commit(usage, client):
    usage.collector.post(
        "/api/v1/usage/samples/",
        {"samples": _rates(usage.transit.circuit_id, [1_000_000_000] * 30 + [2_500_000_000] * 10)},
        format="json",
    )
    client.force_login(usage.buyer)
    response = client.get(f"/services/{usage.transit.circuit_id}/usage/", {"period": "2026-10"})
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="usage-chart"')
    svg = ET.fromstring(html[start : html.index("</svg>", start) + 6])  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    series = {p.get("data-series"): p.get("d") for p in svg.iter(f"{ns}path")}
    assert set(series) == {"in", "out"}
    assert series["in"].count("M") == 1 and series["in"].count("L") == 39  # 40 points, one run
    lines = {
        line.get("data-line"): float(line.get("y1"))
        for line in svg.iter(f"{ns}line")
        if line.get("data-line")
    }
    assert set(lines) == {"p95", "commit"}
    assert lines["p95"] < lines["commit"]  # 2.5 Gbit/s is drawn above the 2 Gbit/s commit
    assert "2.5 Gbit/s" in html
    assert "in October 2026</h1>" in html and "in 2026-10</h1>" not in html
    assert response.context["result"].samples == 40

    csv_response = client.get(
        f"/services/{usage.transit.circuit_id}/usage.csv", {"period": "2026-10"}
    )
    rows = csv_response.content.decode().splitlines()
    assert rows[0] == "circuit_id,ts,in_bps,out_bps"
    assert rows[1] == f"{usage.transit.circuit_id},2026-09-30T20:00:00Z,1000000000,500000000"
    assert len(rows) == 41
    assert (
        client.get(
            f"/services/{usage.transit.circuit_id}/usage/", {"period": "13-2026"}
        ).status_code
        == 400
    )


def test_operators_upload_a_csv_and_see_what_was_refused(usage, client):
    lines = [
        "circuit_id,ts,in_bps,out_bps",
        f"{usage.transit.circuit_id},2026-10-01T00:00:00+04:00,100,50",
        f"{usage.transit.circuit_id},2026-10-01T00:05:00+04:00,lots,50",
        "TCFO-NOPE-1,2026-10-01T00:05:00+04:00,1,1",
    ]
    client.force_login(usage.noc)
    upload = SimpleUploadedFile("usage.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = client.post("/usage/upload/", {"file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 accepted, 0 duplicates, 2 rejected" in html
    assert "in_bps must be a whole number" in html and "unknown circuit TCFO-NOPE-1" in html
    bad = client.post("/usage/upload/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
    assert bad.status_code == 400 and "The header must name" in bad.content.decode()
    client.force_login(usage.buyer)
    assert client.get("/usage/upload/").status_code == 403


def test_the_command_ingests_a_file(usage, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(
        f"circuit_id,ts,in_bps,out_bps\n{usage.transit.circuit_id},2026-10-01T00:00:00Z,7,3\n"
    )
    out, err = StringIO(), StringIO()
    call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out, stderr=err)
    assert "1 accepted, 0 duplicates, 0 rejected" in out.getvalue()
    call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out, stderr=err)
    assert "0 accepted, 1 duplicates, 0 rejected" in out.getvalue()
    with pytest.raises(CommandError, match="not an operator"):
        call_command("ingest_usage", str(path), "--operator", usage.customer.name, stdout=out)
    with pytest.raises(CommandError):
        call_command(
            "ingest_usage", str(tmp_path / "missing.csv"), "--operator", usage.azt.name, stdout=out
        )


def test_a_customer_with_two_services_sees_each_on_its_own(usage):
    second = transit_service(usage, activated_on=datetime.date(2026, 1, 1))
    usage.collector.post(
        "/api/v1/usage/samples/",
        {"samples": _rates(usage.transit.circuit_id, [5]) + _rates(second.circuit_id, [9])},
        format="json",
    )
    customer = key_client(usage.customer)[0]
    first = customer.get(
        f"/api/v1/services/{usage.transit.circuit_id}/usage/", {"period": "2026-10"}
    ).json()
    other = customer.get(
        f"/api/v1/services/{second.circuit_id}/usage/", {"period": "2026-10"}
    ).json()
    assert (first["billable_bps"], other["billable_bps"]) == (5, 9)


def test_a_body_too_large_is_a_413_in_the_error_format(usage, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"samples": _rates(usage.transit.circuit_id, list(range(50)))}
    response = usage.collector.post("/api/v1/usage/samples/", body, format="json")
    assert response.status_code == 413
    assert response.json()["type"] == "too_large"


def test_a_counter_beyond_64_bits_is_refused_alone(usage):
    circuit = usage.transit.circuit_id
    samples = [
        {"circuit_id": circuit, "ts": "2026-10-01T00:00:00Z", "in_octets": 2**70, "out_octets": 1},
        {"circuit_id": circuit, "ts": "2026-09-30T20:00:00Z", "in_bps": 1, "out_bps": 1},
    ]
    response = usage.collector.post(
        "/api/v1/usage/samples/", json.dumps({"samples": samples}), content_type="application/json"
    )
    assert response.status_code == 200
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert result["results"][0]["reason"] == (
        "in_octets is beyond the 64-bit counter bound: "
        "at most 18,446,744,073,709,551,615 (2^64 - 1)"
    )
    broken = usage.collector.post(
        "/api/v1/usage/samples/", "{nope", content_type="application/json"
    )
    assert broken.status_code == 400 and broken.json()["type"] == "parse_error"
