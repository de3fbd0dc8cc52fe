"""Verified citations as W3C Web Annotations: JSON-LD that expands against the W3C context
(vendored, so no network is needed) and whose selectors re-anchor in the captured text."""

import json
from pathlib import Path

import pytest
from pyld import jsonld

from curation.annotations import CONTEXT
from curation.models import Agreement, Citation, Project, Source, Status
from tests.conftest import make_agreement

VENDORED_CONTEXT = Path(__file__).resolve().parent.parent / "curation" / "vendor" / "anno.jsonld"
OA = "http://www.w3.org/ns/oa#"


def offline_loader(url, options=None):
    assert url == CONTEXT, f"only the W3C annotation context is loaded, not {url}"
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(VENDORED_CONTEXT.read_text()),
    }


def get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/ld+json")
    return json.loads(response.content)


def annotations_of(collection):
    assert collection["total"] == len(collection["first"]["items"])
    return collection["first"]["items"]


def test_every_annotation_of_the_seed_expands_as_json_ld_and_reanchors_in_the_captured_text(
    client, seed
):
    anchored = 0
    for source in Source.objects.all():
        collection = get_json(client, f"/sources/{source.reference}/annotations.jsonld")
        expanded = jsonld.expand(collection, {"documentLoader": offline_loader})
        items = annotations_of(collection)
        # every term is in the context: nothing is dropped on expansion
        assert len(json.dumps(expanded).split(f"{OA}hasSelector")) == len(items) + 1
        assert json.dumps(expanded).count(f"{OA}Annotation") == len(items)
        for annotation in items:
            target = annotation["target"]
            text = client.get(target["source"]["id"]).content.decode()
            assert text == source.captured_text
            quote, position = target["selector"]
            exact, start, end = quote["exact"], position["start"], position["end"]
            assert text[start:end] == exact
            # the quote selector alone finds the same place
            assert text.find(quote["prefix"] + exact + quote["suffix"]) == start - len(
                quote["prefix"]
            )
            anchored += 1
    verified = (
        Citation.objects.filter(agreement__status=Status.VERIFIED).count()
        + Citation.objects.filter(project__status=Status.VERIFIED).count()
    )
    assert anchored == verified > 50


def test_a_records_annotations_link_its_page_and_carry_translation_and_inference(client, seed):
    centre = Project.objects.get(title_en__startswith="Centre of Nuclear Science")
    items = annotations_of(get_json(client, f"/projects/{centre.reference}/annotations.jsonld"))
    assert len(items) == centre.citations.count()
    for annotation in items:
        link, supports, *_ = annotation["body"]
        assert link == {
            "type": "SpecificResource",
            "source": f"http://testserver/projects/{centre.reference}/",
            "purpose": "linking",
        }
        assert supports["value"].startswith(f"Supports {centre.reference}: ")
    vietnamese = next(a for a in items if a["target"]["source"]["language"] == "vi")
    values = [body["value"] for body in vietnamese["body"][1:]]
    assert any(v.startswith("In particular, the two countries") for v in values)
    assert any(v.startswith("Inferred: ") for v in values)


def test_the_vietnamese_site_serves_the_same_english_annotations(client, seed):
    first = client.get("/agreements/AGR-0001/annotations.jsonld").content
    assert client.get("/vi/agreements/AGR-0001/annotations.jsonld").content == first


def test_only_verified_records_are_annotated(client, seed):
    hidden = Agreement.objects.filter(status=Status.IN_REVIEW).first()
    assert client.get(f"/agreements/{hidden.reference}/annotations.jsonld").status_code == 404
    for source in Source.objects.all():
        items = annotations_of(get_json(client, f"/sources/{source.reference}/annotations.jsonld"))
        linked = {a["body"][0]["source"].rstrip("/").rsplit("/", 1)[1] for a in items}
        assert hidden.reference not in linked


def test_a_source_no_verified_record_cites_has_no_text_and_no_annotations(client, alice):
    draft = make_agreement(alice)
    source = Source.objects.create(title="Unpublished", captured_text="A draft's only source.")
    Citation.objects.create(agreement=draft, source=source, quote="draft's only", supports=[])
    for page in ("text.txt", "annotations.jsonld"):
        assert client.get(f"/sources/{source.reference}/{page}").status_code == 404


@pytest.mark.parametrize("model", [Agreement, Project])
def test_annotation_queries_do_not_grow_with_the_number_of_quotes(
    client, seed, django_assert_max_num_queries, model
):
    records = sorted(model.objects.public(), key=lambda r: r.citations.count())
    fewest, most = records[0], records[-1]
    assert most.citations.count() > fewest.citations.count()
    with django_assert_max_num_queries(3) as few:
        client.get(f"{fewest.get_absolute_url()}annotations.jsonld")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"{most.get_absolute_url()}annotations.jsonld")
