"""The longest circuit ID the portal builds (a 32-character product code) is one every reader
takes: usage ingest over the API and in a CSV, the usage pages and answers, the service."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leasing.constants import CIRCUIT_ID_MAX_LENGTH, CODE_MAX_LENGTH

from ..conftest import key_client
from .conftest import transit_service

pytestmark = pytest.mark.django_db


def test_a_service_of_a_product_with_the_longest_code_has_its_usage_ingested_and_shown(
    usage, client
):
    net = usage
    net.ipt10.code = "IPT10-" + "X" * (CODE_MAX_LENGTH - len("IPT10-"))
    net.ipt10.full_clean()
    net.ipt10.save()
    service = transit_service(net, activated_on=datetime.date(2026, 1, 1))
    circuit = service.circuit_id
    # 44 characters: more than the 40 ingest once capped IDs at, within every reader's bound.
    assert len(circuit) == 44 <= CIRCUIT_ID_MAX_LENGTH

    posted = net.collector.post(
        "/api/v1/usage/samples/",
        {
            "samples": [
                {"circuit_id": circuit, "ts": ts, "in_bps": 3_000, "out_bps": 1_000}
                for ts in ("2026-09-30T20:00:00Z", "2026-09-30T20:05:00Z")
            ]
        },
        format="json",
    )
    assert posted.status_code == 200, posted.content
    assert (posted.json()["accepted"], posted.json()["rejected"]) == (2, 0)

    client.force_login(net.noc)
    row = f"{circuit},2026-10-01T00:10:00+04:00,5000,2000"
    upload = SimpleUploadedFile(
        "usage.csv", f"circuit_id,ts,in_bps,out_bps\n{row}\n".encode(), content_type="text/csv"
    )
    uploaded = client.post("/usage/upload/", {"file": upload})
    assert uploaded.status_code == 200
    assert "1 accepted, 0 duplicates, 0 rejected" in uploaded.content.decode()

    customer = key_client(net.customer)[0]
    answer = customer.get(f"/api/v1/services/{circuit}/usage/", {"period": "2026-10"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["circuit_id"], answer.json()["samples"]) == (circuit, 3)
    assert customer.get(f"/api/v1/services/{circuit}/").json()["circuit_id"] == circuit

    client.force_login(net.buyer)
    page = client.get(f"/services/{circuit}/usage/", {"period": "2026-10"})
    assert page.status_code == 200
    assert page.context["result"].samples == 3
    csv_rows = client.get(f"/services/{circuit}/usage.csv", {"period": "2026-10"})
    assert csv_rows.content.decode().splitlines()[1].startswith(f"{circuit},")
    assert client.get(f"/services/{circuit}/").status_code == 200
