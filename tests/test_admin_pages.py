"""Every admin page opens, under a query limit, and lists run a fixed number of queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curation.accounts import ensure_user
from curation.models import Agreement, Citation, ImportBatch, Project
from tests.conftest import make_agreement, make_project

QUERY_LIMIT = 40


@pytest.fixture
def superuser(db):
    return ensure_user("root", [], superuser=True)


@pytest.fixture
def populated(alice):
    from curation.models import FieldOfCooperation

    nuclear = FieldOfCooperation.objects.create(name="Nuclear energy", slug="nuclear-energy")
    for _ in range(3):
        make_agreement(alice).fields.add(nuclear)
        make_project(alice)
    ImportBatch.objects.create(
        model_name="agreement", filename="a.csv", data=b"x", created_by=alice
    )


def curation_models():
    return [model for model in admin.site._registry if model._meta.app_label == "curation"]


def admin_urls(model, request) -> list[str]:
    info = model._meta.app_label, model._meta.model_name
    obj = model.objects.first()
    urls = [
        reverse("admin:{}_{}_changelist".format(*info)) + "?q=viet+nga",
        reverse("admin:{}_{}_changelist".format(*info)),
    ]
    if admin.site._registry[model].has_add_permission(request):
        urls.append(reverse("admin:{}_{}_add".format(*info)))
    if obj is not None:
        urls += [
            reverse("admin:{}_{}_change".format(*info), args=[obj.pk]),
            reverse("admin:{}_{}_history".format(*info), args=[obj.pk]),
        ]
    return urls


def test_every_admin_page_opens_under_a_query_limit(client, superuser, populated):
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    for model in curation_models():
        assert model.objects.exists(), f"no {model.__name__} to open"
        for url in admin_urls(model, request):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            assert len(queries) <= QUERY_LIMIT, f"{url}: {len(queries)} queries"


def test_autocomplete_finds_organizations_without_diacritics(client, alice):
    from tests.conftest import make_organization

    make_organization("Vietnam", name_original="Việt Nam")
    client.force_login(alice)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "viet nam",
            "app_label": "curation",
            "model_name": "agreementparty",
            "field_name": "organization",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["Vietnam"]


def changelist_queries(client, model) -> int:
    url = reverse(f"admin:curation_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"country": "VN"}).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("model", "make"), [(Agreement, make_agreement), (Project, make_project)])
def test_record_changelist_queries_do_not_grow_with_rows(client, superuser, alice, model, make):
    client.force_login(superuser)
    make(alice)
    few = changelist_queries(client, model)
    for _ in range(12):
        make(alice)
    assert changelist_queries(client, model) == few


def test_citation_and_source_changelists_do_not_grow_with_rows(client, superuser, alice):
    client.force_login(superuser)
    make_agreement(alice)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as citations:
            client.get(reverse("admin:curation_citation_changelist"))
        with CaptureQueriesContext(connection) as sources:
            client.get(reverse("admin:curation_source_changelist"))
        counts.append((len(citations), len(sources)))
        for _ in range(10):
            make_agreement(alice)
    assert counts[0] == counts[1]
    assert Citation.objects.count() == 21


def test_changelist_shows_status_coverage_and_source_count(client, alice, rita):
    covered, bare = make_agreement(alice), make_agreement(alice, covered=False)
    client.force_login(rita)
    page = client.get(reverse("admin:curation_agreement_changelist")).content.decode()
    assert "In review" in page
    assert 'class="coverage-supported"' in page and 'class="coverage-unsupported"' in page
    assert covered.reference in page and bare.reference in page


def test_changelist_skips_the_unfiltered_count(client, superuser, alice):
    client.force_login(superuser)
    make_agreement(alice)
    url = reverse("admin:curation_agreement_changelist")
    with CaptureQueriesContext(connection) as queries:
        client.get(url, {"status": "in_review"})
    counts = [
        q["sql"]
        for q in queries
        if "COUNT(" in q["sql"].upper() and "curation_agreement" in q["sql"]
    ]
    assert len(counts) == 1
