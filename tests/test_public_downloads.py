"""Downloads: every matching verified record, streamed, with formula triggers neutralised."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.cells import neutralise, restore
from curation.models import Status
from tests.conftest import make_agreement, make_project


def download(client, kind: str, **params):
    response = client.get(reverse(f"curation:{kind}-list"), params)
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def listed(client, kind: str, **params) -> list[str]:
    return [
        r.reference for r in client.get(reverse(f"curation:{kind}-list"), params).context["records"]
    ]


@pytest.mark.parametrize("kind", ["agreement", "project"])
@pytest.mark.parametrize(
    "params", [{}, {"country": "RU"}, {"q": "hat nhan"}, {"field": "agriculture"}]
)
def test_downloads_hold_exactly_what_the_list_shows(client, seed, kind, params):
    shown = listed(client, kind, **params)
    rows = list(
        csv.DictReader(io.StringIO(download(client, kind, format="csv", **params).lstrip("\ufeff")))
    )
    results = json.loads(download(client, kind, format="json", **params))["results"]
    assert [row["reference"] for row in rows] == shown
    assert [result["reference"] for result in results] == shown


def test_downloads_are_not_limited_to_the_current_page(client, alice):
    for _ in range(55):
        make_agreement(alice, status=Status.VERIFIED)
    assert len(listed(client, "agreement")) == 50
    assert len(json.loads(download(client, "agreement", format="json"))["results"]) == 55


def test_json_gives_dates_with_precision_parties_and_citations(client, seed):
    results = json.loads(download(client, "agreement", format="json", country="SU"))["results"]
    (soviet_era,) = results
    assert soviet_era["date_signed"] == {"value": "1959-03-07", "precision": "day"}
    assert {p["role"] for p in soviet_era["parties"]} == {"signatory"}
    citation = soviet_era["citations"][0]
    assert set(citation) >= {"quote", "translation", "inferred", "source"}
    assert set(citation["source"]) >= {"title", "publisher", "url", "published_on"}
    assert "signed of a scientific and technical cooperation agreement" in citation["quote"]
    assert soviet_era["url"] == f"http://testserver/agreements/{soviet_era['reference']}/"
    assert (soviet_era["kind"], soviet_era["kind_label"]) == (
        "cooperation_agreement",
        "Cooperation agreement",
    )
    csv_row = next(
        csv.DictReader(
            io.StringIO(download(client, "agreement", format="csv", country="SU").lstrip("\ufeff"))
        )
    )
    assert csv_row["kind"] == soviet_era["kind_label"]  # the CSV writes the label


def test_vietnamese_quotes_keep_their_translation(client, seed):
    results = json.loads(download(client, "agreement", format="json", q="rosatom"))["results"]
    citation = results[0]["citations"][0]
    assert "Rosatom đã ký" in citation["quote"] and citation["translation"].startswith("Vietnam's")


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.RETRACTED])
def test_unverified_records_are_never_downloaded(client, alice, status):
    hidden = make_agreement(alice, status=status)
    shown = make_agreement(alice, status=Status.VERIFIED)
    for fmt in ("csv", "json"):
        body = download(client, "agreement", format=fmt)
        assert shown.reference in body and hidden.reference not in body


def test_csv_neutralises_formulas(client, alice):
    make_agreement(
        alice,
        status=Status.VERIFIED,
        title_en='=HYPERLINK("http://x","click")',
        summary="+1 and @SUM(A1)",
    )
    (row,) = csv.DictReader(
        io.StringIO(download(client, "agreement", format="csv").lstrip("\ufeff"))
    )
    assert row["title_en"] == '\'=HYPERLINK("http://x","click")'
    assert row["summary"] == "'+1 and @SUM(A1)"


@pytest.mark.parametrize(
    "value", ["=1+2", "+7", "-3", "@cmd", "\tx", "\rx", "'quoted", "plain", ""]
)
def test_neutralising_is_undone_exactly(value):
    escaped = neutralise(value)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert restore(escaped) == value


@pytest.mark.parametrize(
    ("make", "kind"), [(make_agreement, "agreement"), (make_project, "project")]
)
def test_downloads_run_a_fixed_number_of_queries(client, alice, make, kind):
    def queries(fmt) -> int:
        with CaptureQueriesContext(connection) as captured:
            download(client, kind, format=fmt)
        return len(captured)

    make(alice, status=Status.VERIFIED)
    few = queries("csv"), queries("json")
    for _ in range(10):
        make(alice, status=Status.VERIFIED)
    assert (queries("csv"), queries("json")) == few


def test_a_project_download_names_no_unverified_agreement(client, alice):
    project = make_project(alice, status=Status.VERIFIED)
    hidden = make_agreement(alice, status=Status.IN_REVIEW)
    shown = make_agreement(alice, status=Status.VERIFIED)
    project.agreements.add(hidden, shown)
    for fmt in ("csv", "json"):
        body = download(client, "project", format=fmt)
        assert shown.reference in body and hidden.reference not in body
