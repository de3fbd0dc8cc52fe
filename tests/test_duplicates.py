"""An agreement that looks like one already recorded is pointed out before it is saved, in
the admin's form and in an import's preview; the check is measured on a labelled set."""

from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.duplicates import labelled_pairs, precision_recall
from curation import duplicates
from curation.models import Agreement, Organization
from tests.spreadsheets import confirm, confirm_data, upload
from tests.test_admin_workflow import agreement_form

ROSATOM_TITLE = "Cooperation agreement on the use of atomic energy for peaceful purposes"


def test_warnings_find_perturbed_copies_and_leave_distinct_agreements_alone(seed):
    found, expected = labelled_pairs()
    precision, recall = precision_recall(found, expected)
    assert precision >= 0.95 and recall >= 0.9, (
        sorted(found - expected),
        sorted(expected - found),
    )


def parties(*names: str) -> dict:
    data = {"party_links-TOTAL_FORMS": str(len(names))}
    for index, name in enumerate(names):
        organization = Organization.objects.get(name__startswith=name)
        data |= {
            f"party_links-{index}-organization": organization.pk,
            f"party_links-{index}-role": "signatory",
        }
    return data


def test_the_admin_warns_before_saving_a_look_alike_and_saves_it_when_told(client, seed, alice):
    client.force_login(alice)
    recorded = Agreement.objects.get(title_en=ROSATOM_TITLE)
    form = agreement_form(
        title_en="Cooperation agreement on the use of atomic energy for peacefull purposes",
        date_signed="2025",
        **parties("Rosatom", "Ministry of Science and Technology (Vietnam)"),
    )
    before = Agreement.objects.count()
    warned = client.post(reverse("admin:curation_agreement_add"), form)
    page = warned.content.decode()
    assert warned.status_code == 200 and Agreement.objects.count() == before
    assert f"Looks like {recorded.reference}" in page
    assert "signed 2025-05-10 (here 2025)" in page and "Not a duplicate" in page
    saved = client.post(reverse("admin:curation_agreement_add"), form | {"not_a_duplicate": "on"})
    assert saved.status_code == 302 and Agreement.objects.count() == before + 1


def test_an_agreement_of_other_parties_is_no_look_alike(client, seed, alice):
    client.force_login(alice)
    form = agreement_form(title_en=ROSATOM_TITLE, date_signed="2025-05-10", **parties("Rosatom"))
    assert client.post(reverse("admin:curation_agreement_add"), form).status_code == 302


HEADER = "title_en,kind,date_signed,parties\n"


def test_the_import_preview_names_look_alikes_and_confirm_still_creates_them(client, seed, alice):
    client.force_login(alice)
    recorded = Agreement.objects.get(date_signed="1959-03-07")
    sheet = HEADER + (
        # a second source on the 1959 agreement, naming the successor states
        f'"{recorded.title_en.replace("technical", "techncal")}",Cooperation agreement,1959,'
        "Russia (signatory); Vietnam (signatory)\n"
        # and the same new agreement twice in one sheet
        "Memorandum on marine research,Memorandum of understanding,2024-03,France (signatory)\n"
        "Memorandum on marine researh,Memorandum of understanding,2024,France (signatory)\n"
    )
    preview = upload(client, sheet, "second-source.csv")
    page = preview.content.decode()
    assert 'id="import-look-alikes"' in page
    assert f"Looks like {recorded.reference}" in page and "Looks like row 3" in page
    assert 'id="count-new">3<' in page
    done = confirm(client, confirm_data(preview))
    assert "3 new" in done


def test_the_check_reads_a_few_queries_however_many_rows(seed, django_assert_max_num_queries):
    import tablib

    from curation.resources import AgreementResource
    from curation.spreadsheets import importing
    from curation.spreadsheets.importing import Table

    def preview(rows: int):
        sheet = tablib.Dataset(headers=["title_en", "kind", "date_signed", "parties"])
        for n in range(rows):
            sheet.append(
                [f"Deal {n}", "Contract", "2020", "Vietnam (signatory); Russia (signatory)"]
            )
        return importing.preview(AgreementResource(), Table.of(sheet))

    with django_assert_max_num_queries(50) as few:
        preview(1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        preview(40)


partial_dates = st.builds(
    lambda year, month, with_month: f"{year}-{month:02d}" if with_month else str(year),
    st.integers(1900, 2100),
    st.integers(1, 12),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(partial_dates, partial_dates)
def test_the_years_compared_hold_every_date_within_a_year(first, second):
    a, b = (duplicates.Sketch("t", "", date, frozenset()) for date in (first, second))
    if duplicates.dates_near(a, b):
        assert b.year() in duplicates.years_near(a.year())
