"""The reconciliation service OpenRefine speaks, checked against the Reconciliation API 0.2
JSON schemas (tests/reconciliation_schemas, from the specification's repository)."""

import json
from pathlib import Path

import pytest
from django.test import Client
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from curation.models import Agreement, Organization, Status

SCHEMAS = Path(__file__).resolve().parent / "reconciliation_schemas"
BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"


def validator(name: str) -> Draft7Validator:
    registry = Registry().with_resources(
        (BASE + path.name, Resource.opaque(json.loads(path.read_text())))
        for path in SCHEMAS.glob("*.json")
    )
    return Draft7Validator(json.loads((SCHEMAS / f"{name}.json").read_text()), registry=registry)


def assert_valid(name: str, data) -> None:
    errors = [error.message for error in validator(name).iter_errors(data)]
    assert not errors, errors


def reconcile(client, queries: dict) -> dict:
    assert_valid("reconciliation-query-batch", queries)
    response = client.post("/reconcile/", {"queries": json.dumps(queries)})
    assert response.status_code == 200
    results = response.json()
    assert_valid("reconciliation-result-batch", results)
    assert set(results) == set(queries)
    return results


def top(client, query: str, **options) -> dict:
    return reconcile(client, {"q0": {"query": query, **options}})["q0"]["result"][0]


def test_the_manifest_is_a_valid_service_manifest(client, seed):
    manifest = client.get("/reconcile/").json()
    assert_valid("manifest", manifest)
    assert [t["id"] for t in manifest["defaultTypes"]] == ["organization", "agreement", "project"]
    assert manifest["preview"]["url"] == "http://testserver/reconcile/preview/{{id}}"


@pytest.mark.parametrize(
    "query",
    [
        "Ministry of Science and Technology",
        "MOST",
        "Bộ Khoa học và Công nghệ",
        "Bo Khoa hoc va Cong nghe",  # without diacritics
        "Bộ KH&CN",  # the Vietnamese abbreviation: initials of several words
        "bo kh&cn",
    ],
)
def test_names_acronyms_and_abbreviations_find_the_ministry(client, seed, query):
    best = top(client, query, type="organization")
    most = Organization.objects.get(acronym="MOST")
    assert (best["id"], best["match"]) == (most.reference, True)


def test_a_near_name_ranks_the_right_ministry_first_but_is_not_certain_of_others(client, seed):
    results = reconcile(
        client, {"q0": {"query": "Ministry of Science and Higher Education", "limit": 3}}
    )["q0"]["result"]
    assert results[0]["name"].startswith("Ministry of Science and Higher Education (Russia)")
    assert [r["match"] for r in results[1:]] == [False] * (len(results) - 1)


def test_a_former_state_matches_with_its_successors_country(client, seed):
    best = top(
        client,
        "USSR",
        type="organization",
        properties=[{"pid": "country", "v": "RU"}],
    )
    assert best["name"] == "Soviet Union (USSR)" and best["match"]
    assert {"id": "country", "value": True} in best["features"]
    agreement = top(
        client,
        "scientific and technical cooperation agreement Soviet Union",
        type="agreement",
        properties=[{"pid": "country", "v": "RU"}, {"pid": "date", "v": "1959"}],
    )
    assert agreement["id"] == Agreement.objects.get(date_signed="1959-03-07").reference
    assert {"id": "date", "value": True} in agreement["features"]


def test_a_property_the_candidate_lacks_lowers_its_score(client, seed):
    plain = top(client, "Russia", type="organization")
    elsewhere = top(
        client, "Russia", type="organization", properties=[{"pid": "country", "v": "FR"}]
    )
    assert elsewhere["score"] < plain["score"] and not elsewhere["match"]


def test_only_verified_records_and_the_organizations_they_name_are_matched(client, seed):
    hidden = Agreement.objects.get(title_en__contains="Gamaleya")
    assert hidden.status == Status.IN_REVIEW
    results = reconcile(
        client,
        {
            "agreement": {"query": hidden.title_en, "type": "agreement"},
            "organization": {"query": "Gamaleya", "type": "organization"},
        },
    )
    assert hidden.reference not in [r["id"] for r in results["agreement"]["result"]]
    assert not [r for r in results["organization"]["result"] if "Gamaleya" in r["name"]]
    gamaleya = Organization.objects.get(name__startswith="Gamaleya")
    for page in ("preview", "view"):
        for reference in (hidden.reference, gamaleya.reference):
            assert client.get(f"/reconcile/{page}/{reference}").status_code == 404


def test_suggest_services_answer_as_the_schemas_say(client, seed):
    entities = client.get("/reconcile/suggest/entity", {"prefix": "minis"}).json()
    assert_valid("suggest-entities-response", entities)
    assert "MOST" in " ".join(e["name"] for e in entities["result"])
    properties = client.get("/reconcile/suggest/property", {"prefix": "coun"}).json()
    assert_valid("suggest-properties-response", properties)
    assert [p["id"] for p in properties["result"]] == ["country"]
    types = client.get("/reconcile/suggest/type", {"prefix": "agr"}).json()
    assert_valid("suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == ["agreement"]


def test_preview_may_be_framed_and_view_leads_to_the_page(client, seed):
    most = Organization.objects.get(acronym="MOST")
    preview = client.get(f"/reconcile/preview/{most.reference}")
    assert preview.status_code == 200 and "X-Frame-Options" not in preview
    assert "frame-ancestors *" in preview["Content-Security-Policy"]
    assert "Bộ Khoa học và Công nghệ" in preview.content.decode()
    view = client.get(f"/reconcile/view/{most.reference}")
    assert view.status_code == 302 and view["Location"] == most.get_absolute_url()


def test_a_program_without_a_session_can_post_queries(seed):
    response = Client(enforce_csrf_checks=True).post(
        "/reconcile/", {"queries": json.dumps({"q0": {"query": "MOST"}})}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("queries", ["not json", "[1, 2]", '{"q0": "MOST"}'])
def test_a_malformed_batch_gets_a_message(client, seed, queries):
    response = client.post("/reconcile/", {"queries": queries})
    assert response.status_code == 400 and "queries" in response.json()["error"]


def test_a_batch_reads_the_organizations_once(client, seed, django_assert_max_num_queries):
    one = {"q0": {"query": "MOST", "type": "organization"}}
    with django_assert_max_num_queries(10) as single:
        client.post("/reconcile/", {"queries": json.dumps(one)})
    many = {
        f"q{n}": {"query": name, "type": "organization"}
        for n, name in enumerate(["MOST", "Russia", "Bộ KH&CN", "USSR", "Rosatom"])
    }
    with django_assert_max_num_queries(len(single.captured_queries)):
        client.post("/reconcile/", {"queries": json.dumps(many)})


def test_a_batch_too_large_is_refused_with_a_message(client, seed):
    batch = {f"q{n}": {"query": "MOST"} for n in range(101)}
    response = client.post("/reconcile/", {"queries": json.dumps(batch)})
    assert response.status_code == 400 and "at most 100" in response.json()["error"]


def test_odd_query_values_are_read_as_far_as_they_make_sense(client, seed):
    odd = {
        "strings": {"query": "MOST", "properties": "country=VN", "type": 5, "limit": "x"},
        "items": {"query": "MOST", "properties": [7, {"pid": "country"}], "type": [None]},
        "long": {"query": "Ministry of Science " * 5000, "type": "organization"},
    }
    response = client.post("/reconcile/", {"queries": json.dumps(odd)})
    assert response.status_code == 200
    results = response.json()
    assert_valid("reconciliation-result-batch", results)
    assert results["strings"]["result"][0]["name"].endswith("(MOST)")
    assert results["items"]["result"] == []  # no type it knows
