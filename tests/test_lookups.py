"""field__among: the ids of a chunk sent as one parameter, with __in's meaning."""

import pytest
from django.db.models import Q

from curation.models import Agreement, AgreementParty, Status
from tests.conftest import make_agreement, make_organization


@pytest.fixture
def agreements(alice):
    return [make_agreement(alice, status=Status.VERIFIED, title_en=f"Accord {n}") for n in range(5)]


def chosen(queryset) -> list[int]:
    return sorted(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("given", [list, set, tuple, lambda pks: dict.fromkeys(pks).keys()])
def test_among_finds_what_in_finds(agreements, given):
    pks = [agreements[0].pk, agreements[3].pk, agreements[4].pk, 10**9]
    assert chosen(Agreement.objects.filter(pk__among=given(pks))) == chosen(
        Agreement.objects.filter(pk__in=pks)
    )


def test_among_nothing_finds_nothing_and_excludes_nothing(agreements):
    assert chosen(Agreement.objects.filter(pk__among=[])) == []
    assert len(chosen(Agreement.objects.exclude(pk__among=set()))) == len(agreements)


def test_among_on_a_foreign_key_and_combined(alice, agreements):
    russia = make_organization("Russia")
    for agreement in agreements[:2]:
        AgreementParty.objects.create(agreement=agreement, organization=russia)
    among = AgreementParty.objects.filter(
        Q(agreement_id__among={agreements[1].pk, agreements[2].pk}) | Q(pk__among=[]),
        organization=russia,
    )
    assert list(among.values_list("agreement_id", flat=True)) == [agreements[1].pk]
    pks = [agreements[1].pk, agreements[2].pk]
    assert chosen(AgreementParty.objects.filter(agreement_id__among=pks)) == chosen(
        AgreementParty.objects.filter(agreement__in=pks)
    )
