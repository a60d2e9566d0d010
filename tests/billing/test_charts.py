"""The traffic chart of a month with no, few or partial data: on the usage page, over the API
and on the invoice PDF it is always drawn (never a 500)."""

from __future__ import annotations

import datetime
import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from billing.buckets import MISSING
from billing.charts import nice_ticks, usage_chart_svg
from billing.periods import period_bounds
from billing.services.usage import ingest
from tcfo_portal.formatting import format_bitrate

from ..conftest import key_client
from .conftest import transit_service

pytestmark = pytest.mark.django_db
NS = "{http://www.w3.org/2000/svg}"
OCT = datetime.datetime(2026, 9, 30, 20, 0, tzinfo=datetime.UTC)  # 1 October 00:00 in Baku


def _svg(text: str) -> ET.Element:
    start = text.index('<svg xmlns="http://www.w3.org/2000/svg" class="usage-chart"')
    return ET.fromstring(text[start : text.index("</svg>", start) + 6])  # noqa: S314 - ours


def _series(svg: ET.Element) -> dict[str, str]:
    return {p.get("data-series"): p.get("d") for p in svg.iter(f"{NS}path")}


def _no_data(svg: ET.Element) -> bool:
    return any(t.get("class") == "no-data" for t in svg.iter(f"{NS}text"))


def _chart(ins: list[int], *, p95: int | None = None, commit: int | None = 2_000_000_000) -> str:
    start, _ = period_bounds("2026-10", "Asia/Baku")
    values = np.array(ins, dtype=np.int64)
    outs = np.where(values == MISSING, MISSING, values // 2)
    return usage_chart_svg(
        start=start,
        in_bps=values,
        out_bps=outs,
        p95_bps=p95,
        commit_bps=commit,
        title="t",
        time_zone="Asia/Baku",
    )


def test_a_month_without_buckets_draws_an_empty_frame_with_the_commit():
    svg = _svg(_chart([]))
    assert _series(svg) == {"in": "", "out": ""}
    assert _no_data(svg)
    assert {line.get("data-line") for line in svg.iter(f"{NS}line") if line.get("data-line")} == {
        "commit"
    }
    assert "0 of 0 five-minute buckets" in svg.find(f"{NS}desc").text


def test_a_month_whose_buckets_are_all_missing_says_so():
    svg = _svg(_chart([MISSING] * 500, p95=None))
    assert _series(svg)["in"] == "" and _no_data(svg)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_few_buckets_are_drawn(count):
    svg = _svg(_chart([1_000_000] * count, p95=1_000_000, commit=None))
    path = _series(svg)["in"]
    assert path.count("M") == 1 and path.count("L") == count - 1
    assert not _no_data(svg)


def test_lone_samples_between_missing_buckets_show_as_ticks():
    svg = _svg(_chart([5, MISSING, MISSING, 7, MISSING, 8, 9]))
    path = _series(svg)["in"]
    assert path.count("M") == 3 and path.count("h1.5") == 2 and path.count("L") == 1


def test_the_two_directions_must_have_as_many_buckets():
    with pytest.raises(ValueError, match="buckets"):
        usage_chart_svg(
            start=0,
            in_bps=np.zeros(3, dtype=np.int64),
            out_bps=np.zeros(2, dtype=np.int64),
            p95_bps=None,
            commit_bps=None,
            title="t",
        )


def _samples(circuit_id: str, start: datetime.datetime, count: int) -> list[dict]:
    return [
        {
            "circuit_id": circuit_id,
            "ts": (start + datetime.timedelta(minutes=5 * i)).isoformat(),
            "in_bps": 1_000_000_000,
            "out_bps": 250_000_000,
        }
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("period", "reason"),
    [
        ("2026-10", "No traffic sample has arrived for this month yet."),  # a first visit
        ("2025-06", "ready for service from 1 Jan 2026."),  # before the service's activation
        ("2030-01", "This month has not begun yet."),  # a month to come
    ],
)
def test_the_usage_page_and_api_answer_200_for_a_month_without_data(usage, client, period, reason):
    client.force_login(usage.buyer)
    circuit = usage.transit.circuit_id
    page = client.get(f"/services/{circuit}/usage/", {"period": period})
    assert page.status_code == 200
    assert _no_data(_svg(page.content.decode()))
    text = page.content.decode()
    assert "No data for this month" in text and reason in text
    assert "Billing time zone <strong>Asia/Baku</strong>" in text
    assert client.get(f"/services/{circuit}/usage.csv", {"period": period}).status_code == 200
    customer = key_client(usage.customer)[0]
    figures = customer.get(f"/api/v1/services/{circuit}/usage/", {"period": period})
    assert figures.status_code == 200
    assert figures.json()["samples"] == 0 and figures.json()["p95_in_bps"] is None
    samples = customer.get(f"/api/v1/services/{circuit}/usage/samples/", {"period": period})
    assert samples.status_code == 200 and samples.json()["samples"] == []


def test_the_usage_page_of_the_current_month_without_period(usage, client):
    client.force_login(usage.buyer)
    page = client.get(f"/services/{usage.transit.circuit_id}/usage/")
    assert page.status_code == 200 and "No data for this month" in page.content.decode()


def test_a_new_transits_first_visit_before_any_sample(usage, client):
    fresh = transit_service(usage, activated_on=datetime.date(2026, 11, 2))
    client.force_login(usage.buyer)
    for period in ("2026-10", "2026-11", "2026-12"):
        page = client.get(f"/services/{fresh.circuit_id}/usage/", {"period": period})
        assert page.status_code == 200 and "No data for this month" in page.content.decode()


@pytest.mark.parametrize(
    ("peak", "top", "ticks"),
    [
        (2_400_000_000, "2.5 Gbit/s", 6),  # the October demo chart: not 5 Gbit/s
        (1_960_000_000, "2 Gbit/s", 5),
        (2_000_000_000, "2 Gbit/s", 5),
        (2_600_000_000, "3 Gbit/s", 4),
        (7_000_000, "7.5 Mbit/s", 4),
        (950_000, "1 Mbit/s", 5),
        (0, "1 Mbit/s", 5),  # nothing to draw
    ],
)
def test_the_axis_tops_out_at_a_nice_value_close_above_the_peak(peak, top, ticks):
    found = nice_ticks(peak)
    assert format_bitrate(found[-1]) == top and len(found) == ticks
    assert found[0] == 0 and found[-1] >= peak
    steps = {b - a for a, b in itertools.pairwise(found)}
    assert len(steps) == 1  # evenly spaced


def test_the_october_chart_is_labelled_with_format_bitrate_up_to_2_5_gbit(usage):
    ins = [2_400_000_000] + [1_000_000_000] * 99
    labels = [t.text for t in _svg(_chart(ins, p95=1_960_000_000)).iter(f"{NS}text")]
    assert labels[:6] == [
        "0 bit/s",
        "500 Mbit/s",
        "1 Gbit/s",
        "1.5 Gbit/s",
        "2 Gbit/s",
        "2.5 Gbit/s",
    ]
    assert "5 Gbit/s" not in labels
    assert "95th 1.96 Gbit/s" in labels and "commit 2 Gbit/s" in labels


def test_a_service_activated_mid_month_is_drawn_from_its_activation(usage, client):
    late = transit_service(usage, activated_on=datetime.date(2026, 10, 20))
    first = datetime.datetime(2026, 10, 20, tzinfo=datetime.UTC)
    ingest(samples=_samples(late.circuit_id, first, 3), actor=usage.noc)
    client.force_login(usage.buyer)
    page = client.get(f"/services/{late.circuit_id}/usage/", {"period": "2026-10"})
    assert page.status_code == 200
    svg = _svg(page.content.decode())
    assert _series(svg)["in"].count("L") == 2 and not _no_data(svg)
    labels = [t.text for t in svg.iter(f"{NS}text")]
    assert "21 Oct" in labels and "01 Oct" not in labels  # the axis starts at the activation
