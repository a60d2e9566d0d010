"""Usage CSV files (portal upload and ``manage.py ingest_usage``): a bad row is refused with its
line number and why, the good rows are stored; a file that cannot be read is a clear error."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from billing.services.usage_csv import MAX_LINE, ingest_usage_file

pytestmark = pytest.mark.django_db
HEADER = "circuit_id,ts,in_bps,out_bps"


def _row(circuit_id: str, minute: int, in_bps: str = "100", out_bps: str = "50") -> str:
    return f"{circuit_id},2026-10-01T00:{minute:02d}:00+04:00,{in_bps},{out_bps}"


def _stored(usage) -> dict[str, int]:
    """The buckets stored for the transit service in October 2026: ts -> in_bps."""
    response = usage.collector.get(
        f"/api/v1/services/{usage.transit.circuit_id}/usage/samples/", {"period": "2026-10"}
    )
    assert response.status_code == 200
    return {sample["ts"]: sample["in_bps"] for sample in response.json()["samples"]}


BAD_CELLS = [
    ("²", "in_bps"),  # str.isdigit() takes it, int() does not: the whole file was a 500
    ("1²", "in_bps"),
    ("lots", "in_bps"),
    ("-5", "in_bps"),
    ("1.5", "in_bps"),
    ("1e9", "in_bps"),
    ("1180591620717411303424", "in_bps"),  # 2**70
    ("7\x003", "in_bps"),
]


@pytest.mark.parametrize(("cell", "column"), BAD_CELLS)
def test_one_bad_cell_refuses_its_row_by_line_and_keeps_the_others(usage, cell, column):
    cid = usage.transit.circuit_id
    data = "\n".join(
        [HEADER, _row(cid, 0), _row(cid, 5, in_bps=cell), "", _row(cid, 10, in_bps="300")]
    ).encode()
    result = ingest_usage_file(data=data, actor=usage.noc)
    assert [(problem.line, column in problem.reason) for problem in result.refused] == [(3, True)]
    assert result.count("accepted") == 2
    assert result.summary().endswith("2 accepted, 0 duplicates, 1 rejected of 3 rows.")
    assert _stored(usage) == {"2026-09-30T20:00:00Z": 100, "2026-09-30T20:10:00Z": 300}


def test_rows_of_the_wrong_shape_are_refused_by_line(usage):
    cid = usage.transit.circuit_id
    lines = [
        "",  # a blank line before the header
        HEADER,
        _row(cid, 0),
        f"{cid},2026-10-01T00:05:00+04:00,100",  # a value short
        _row(cid, 10) + ",extra",  # a value too many
        _row(cid, 15) + ",",  # a trailing comma is no value
        f'"{cid}",2026-10-01T00:20:00+04:00,"7,0",1',  # a quoted comma stays in its cell
        _row(cid, 25, in_bps="9" * MAX_LINE),
        "TCFO-NOPE-1,2026-10-01T00:30:00+04:00,1,1",
        f"{cid},2026-02-30T00:00:00+04:00,1,1",
        f"{cid},2026-10-01T00:35:00,1,1",
        ",,,",  # empty values: a blank row
        _row(cid, 40),
        _row(cid, 40),  # the same bucket again: a duplicate, not refused
    ]
    result = ingest_usage_file(data="\r\n".join(lines).encode(), actor=usage.noc)
    refused = {problem.line: problem.reason for problem in result.refused}
    assert sorted(refused) == [4, 5, 7, 8, 9, 10, 11]
    assert refused[4] == "3 values where the header names 4 columns."
    assert refused[5] == "5 values where the header names 4 columns."
    assert "in_bps" in refused[7]
    assert refused[8] == f"The line is longer than {MAX_LINE} characters."
    assert "TCFO-NOPE-1" in refused[9]
    assert (result.count("accepted"), result.count("duplicate")) == (3, 1)
    assert set(_stored(usage)) == {
        "2026-09-30T20:00:00Z",
        "2026-09-30T20:15:00Z",
        "2026-09-30T20:40:00Z",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty"),  # Django's own check
        (b"\n  \n", "The file is empty"),
        (HEADER.encode(), "a header but no rows"),
        (b"circuit_id,ts,in_bps\nTCFO-X,2026-10-01T00:00:00Z,1\n", "The header must name"),
        (b"a,b\n1,2\n", "Line 1 names: a, b."),
        (b"circuit_id,ts,in_bps,in_bps,out_bps\n", "names in_bps more than once"),
        (
            HEADER.encode() + b"\nTCFO-\xe9,2026-10-01T00:00:00Z,1,1\n",
            "The file is not UTF-8 text CSV: line 2 holds the byte 0xe9",
        ),
        # --- i15-d1 begin ---
        ((HEADER + "\nx").encode("utf-16"), "The file is not UTF-8 text CSV: it is UTF-16 text."),
        (  # UTF-16 without its byte-order mark: a NUL after every ASCII letter
            (HEADER + "\nx").encode("utf-16-le"),
            "The file is not UTF-8 text CSV: its first line holds binary data.",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text CSV: line 1 holds the byte 0x89"),
        (bytes(range(256)) * 4, "The file is not UTF-8 text CSV: line 2 holds the byte 0x80"),
        (b"\x00\x01\x02\x03binary", "The file is not UTF-8 text CSV: its first line holds binary"),
        # --- i15-d1 end ---
    ],
)
def test_a_file_that_cannot_be_read_is_a_form_error_storing_nothing(usage, client, data, message):
    client.force_login(usage.noc)
    response = client.post("/usage/upload/", {"file": SimpleUploadedFile("u.csv", data)})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="errorlist' in html
    assert "codec" not in html and "decode" not in html  # never Python's own words
    assert _stored(usage) == {}


def test_the_upload_page_lists_refused_rows_by_line_and_stores_the_good_ones(usage, client):
    cid = usage.transit.circuit_id
    data = "\n".join([HEADER, _row(cid, 0), _row(cid, 5, in_bps="²"), "x,y"]).encode("utf-8-sig")
    client.force_login(usage.noc)
    response = client.post("/usage/upload/", {"file": SimpleUploadedFile("u.csv", data)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 accepted, 0 duplicates, 2 rejected of 3 rows." in html
    assert "<td>3</td><td>in_bps" in html
    assert "<td>4</td><td>2 values where the header names 4 columns.</td>" in html
    assert _stored(usage) == {"2026-09-30T20:00:00Z": 100}


def test_a_file_whose_every_row_is_refused_says_so_and_no_empty_decisions(usage, client):
    data = "\n".join([HEADER, "x,y", "a,b,c"]).encode()
    client.force_login(usage.noc)
    html = client.post("/usage/upload/", {"file": SimpleUploadedFile("u.csv", data)}).content
    html = html.decode()
    assert "0 accepted, 0 duplicates, 2 rejected of 2 rows." in html
    assert "Decisions: ." not in html
    assert _stored(usage) == {}


def test_the_command_reports_refused_rows_by_line_and_stores_the_good_ones(usage, tmp_path):
    cid = usage.transit.circuit_id
    path = tmp_path / "usage.csv"
    path.write_text("\n".join([HEADER, _row(cid, 0), _row(cid, 5, in_bps="²"), _row(cid, 10)]))
    out, err = StringIO(), StringIO()
    call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out, stderr=err)
    assert "2 accepted, 0 duplicates, 1 rejected of 3 rows." in out.getvalue()
    assert err.getvalue().startswith("line 3: in_bps")
    assert len(_stored(usage)) == 2

    path.write_bytes(b"\xff\xfe" + "x".encode("utf-16-le"))
    with pytest.raises(CommandError, match="UTF-16"):
        call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out)
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="The file is empty"):
        call_command("ingest_usage", str(path), "--operator", usage.azt.name, stdout=out)


def test_the_summary_groups_its_counts():
    from billing.services.usage_csv import RowProblem, UsageFileResult

    refused = [RowProblem(line, "bad") for line in range(2, 3170)]
    result = UsageFileResult(rows=3168, ingested=None, refused=refused)
    assert result.summary() == "0 accepted, 0 duplicates, 3,168 rejected of 3,168 rows."
