from curation.models import Agreement, Organization, Source
from curation.models.references import allocate_references
from tests.conftest import make_agreement, make_source


def test_records_get_stable_references_in_sequence(alice):
    first, second = make_agreement(alice), make_agreement(alice)
    assert first.reference == "AGR-0001"
    assert second.reference == "AGR-0002"
    assert make_source().reference.startswith("SRC-")
    assert Organization.objects.first().reference.startswith("ORG-")


def test_a_deleted_records_reference_is_never_reused(alice):
    make_agreement(alice)
    last = make_agreement(alice)
    last_reference = last.reference
    last.delete()  # SQLite would hand the same row id out again
    assert make_agreement(alice).reference != last_reference


def test_references_continue_above_records_loaded_from_a_fixture(db):
    Source.objects.bulk_create([Source(reference="SRC-0041", title="loaded", captured_text="x")])
    assert make_source().reference == "SRC-0042"


def test_a_block_of_references_for_bulk_work(db):
    assert allocate_references(Agreement, 3) == ["AGR-0001", "AGR-0002", "AGR-0003"]
    assert allocate_references(Agreement) == ["AGR-0004"]


def test_editing_a_record_keeps_its_reference(alice):
    agreement = make_agreement(alice)
    reference = agreement.reference
    agreement.title_en = "Renamed"
    agreement.save()
    agreement.refresh_from_db()
    assert agreement.reference == reference
