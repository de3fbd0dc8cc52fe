"""The Vietnamese site is Vietnamese: every interface text is translated, and the labels of
kinds, roles, statuses, fields of cooperation and what a quote supports are shown in
Vietnamese, with dates in one style."""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation

from curation.models import (
    AGREEMENT_SUPPORTS,
    PROJECT_SUPPORTS,
    Agreement,
    AgreementParty,
    AgreementRelation,
    Citation,
    FieldOfCooperation,
    Organization,
    Project,
    ProjectParticipant,
    Source,
    Status,
)

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"
CHOICES = [
    Agreement.Kind,
    Project.Kind,
    Organization.Kind,
    Source.Kind,
    Status,
    AgreementParty.Role,
    ProjectParticipant.Role,
    AgreementRelation.Kind,
]
INTERFACE_TAGS = {"dt", "dd", "option", "legend", "label", "th", "h2", "button", "summary"}


def test_every_message_of_the_catalogue_is_translated():
    entries = CATALOGUE.read_text().split("\n\n")[1:]  # the first is the header
    untranslated = [
        entry
        for entry in entries
        if "#, fuzzy" in entry
        or re.search(r'^msgstr(\[0\])? ""$(?!\n")', entry, re.M)
        and not entry.startswith("#~")
    ]
    assert not untranslated, untranslated[:3]


def english_labels() -> set[str]:
    """Labels a Vietnamese reader should never see in English."""
    labels = set()
    for choices in CHOICES:
        for _, label in choices.choices:
            with translation.override("en"):
                english = str(label)
            with translation.override("vi"):
                assert str(label) != english, f"“{english}” has no Vietnamese translation"
            labels |= {english, english.lower()}
    for label in [*AGREEMENT_SUPPORTS.values(), *PROJECT_SUPPORTS.values()]:
        with translation.override("en"):
            labels.add(str(label))
    labels |= set(FieldOfCooperation.objects.exclude(name_vi="").values_list("name", flat=True))
    return labels


class InterfaceText(HTMLParser):
    """The text of the elements that label things (not titles or quotes), piece by piece."""

    def __init__(self):
        super().__init__()
        self.open, self.pieces = [], []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        if self.open and self.open[-1] in INTERFACE_TAGS:
            for piece in re.split(r",|—|:|\(\d+\)", data):
                if piece.strip():
                    self.pieces.append(piece.strip())


def vietnamese_pages(client) -> list[str]:
    agreement = Agreement.objects.public().filter(relations__isnull=False).first()
    project = Project.objects.public().first()
    source = Citation.objects.filter(agreement=agreement).first().source
    organization = agreement.organizations()[0]
    urls = ["/vi/", "/vi/agreements/", "/vi/projects/"]
    urls += [
        f"/vi/agreements/{agreement.reference}/",
        f"/vi/projects/{project.reference}/",
        f"/vi/organizations/{organization.reference}/",
        f"/vi/sources/{source.reference}/",
    ]
    return urls


@pytest.mark.django_db
def test_the_vietnamese_pages_show_no_english_label(client, seed):
    english = english_labels()
    for url in vietnamese_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        parser = InterfaceText()
        parser.feed(response.content.decode())
        shown = set(parser.pieces)
        assert not shown & english, (url, sorted(shown & english))


@pytest.mark.django_db
def test_the_vietnamese_pages_name_kinds_fields_roles_and_supports_in_vietnamese(client, seed):
    agreement = Agreement.objects.public().filter(fields__isnull=False).first()
    page = client.get(f"/vi/agreements/{agreement.reference}/").content.decode()
    with translation.override("vi"):
        assert agreement.get_kind_display() in page
        assert agreement.fields.first().name_vi in page
        role = agreement.party_links.first().get_role_display().lower()
        assert role in page
        assert "tiêu đề" in page  # what a quote supports
    fields = re.search(r"<dt>Lĩnh vực</dt><dd>(.*?)</dd>", page).group(1)
    assert agreement.fields.first().name not in fields


@pytest.mark.django_db
def test_vietnamese_dates_are_written_in_one_style(client, seed):
    day = Agreement.objects.public().filter(date_signed__regex=r"^\d{4}-\d\d-\d\d$").first()
    month = Agreement.objects.public().filter(date_signed__regex=r"^\d{4}-\d\d$").first()
    for record in filter(None, [day, month]):
        year, number = record.date_signed[:4], int(record.date_signed[5:7])
        page = client.get(f"/vi/agreements/{record.reference}/").content.decode()
        assert f"tháng {number} năm {year}" in page
        assert not re.search(r"Ngày \d", page) and f"Tháng {number} {year}" not in page


def test_english_dates_are_written_in_one_style(client, seed):
    """Full month names, never Django's AP-style abbreviations ("Nov. 21, 2011")."""
    for record in Agreement.objects.public().filter(date_signed__regex=r"^\d{4}-\d\d-\d\d$"):
        page = client.get(f"/agreements/{record.reference}/").content.decode()
        month = datetime.date.fromisoformat(record.date_signed).strftime("%B")
        day, year = int(record.date_signed[8:]), record.date_signed[:4]
        assert f"{month} {day}, {year}" in page
        assert not re.search(r"\b(Jan|Feb|Aug|Sept|Oct|Nov|Dec)\. \d", page)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/vi/"])
def test_each_language_is_offered_in_its_own_name(client, path):
    page = client.get(path).content.decode()
    assert 'lang="en">English<' in page and 'lang="vi">Tiếng Việt<' in page
    assert "Tiếng Anh" not in page
