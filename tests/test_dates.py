import pytest
from django.core.exceptions import ValidationError

from curation.dates import PartialDate
from curation.models import Agreement
from curation.templatetags.curation_tags import partial_date


@pytest.mark.parametrize(
    ("written", "stored", "precision", "shown"),
    [
        ("1959-03-07", "1959-03-07", "day", "March 7, 1959"),
        ("2014-11", "2014-11", "month", "November 2014"),
        ("2000", "2000", "year", "2000"),
        ("1959-3-7", "1959-03-07", "day", "March 7, 1959"),
    ],
)
def test_partial_dates_keep_their_precision(written, stored, precision, shown):
    date = PartialDate.parse(written)
    assert str(date) == stored
    assert date.precision == precision
    assert date.humanize() == shown


@pytest.mark.parametrize(
    "impossible", ["2025-02-30", "2023-02-29", "2014-13", "2014-00", "March 1959", "59", ""]
)
def test_impossible_or_malformed_dates_are_refused(impossible):
    with pytest.raises(ValueError):
        PartialDate.parse(impossible)


def test_leap_day_is_a_real_date():
    assert PartialDate.parse("2024-02-29").precision == "day"


def test_model_validation_names_the_bad_date(db):
    agreement = Agreement(title_en="T", kind=Agreement.Kind.TREATY, date_signed="2025-02-30")
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "2025-02-30" in str(error.value.message_dict["date_signed"])


def test_month_precision_dates_sort_between_their_neighbours():
    assert sorted(["2014-11-05", "2014-11", "2014", "2013-12-31"]) == [
        "2013-12-31",
        "2014",
        "2014-11",
        "2014-11-05",
    ]


def test_template_filter_shows_a_month_without_inventing_a_day():
    assert partial_date("2014-11") == "November 2014"
    assert partial_date("") == ""


def test_range_of_a_partial_date():
    month = PartialDate.parse("2024-02")
    assert (month.earliest().isoformat(), month.latest().isoformat()) == (
        "2024-02-01",
        "2024-02-29",
    )
