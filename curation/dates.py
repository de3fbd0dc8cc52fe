"""Partial dates: a year, a month or a day, stored as written and never padded with a guess."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language

_PATTERN = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")
FORMAT_HINT = "YYYY, YYYY-MM or YYYY-MM-DD"


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: str) -> PartialDate:
        match = _PATTERN.match(value or "")
        if not match:
            raise ValueError(f"“{value}” is not a date: write it as {FORMAT_HINT}.")
        year, month, day = (int(part) if part else None for part in match.groups())
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"“{value}” has no month {month}: months run from 01 to 12.")
        if day is not None:
            try:
                datetime.date(year, month, day)
            except ValueError:
                raise ValueError(
                    f"“{value}” is not a real date: {year}-{month:02d} has no day {day}."
                ) from None
        return cls(year, month, day)

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def earliest(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> datetime.date:
        month = self.month or 12
        return datetime.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def humanize(self) -> str:
        """As a reader writes it, in the active language: "March 7, 1959", "November 2014",
        "2000"; never with a day or month the source did not give."""
        if self.day:
            return date_format(self.earliest(), "DATE_FORMAT")
        if self.month:
            return date_format(self.earliest(), "YEAR_MONTH_FORMAT")
        return str(self.year)


def humanized(value: str) -> str:
    """PartialDate.humanize of a stored value, in the active language; an unparsable value as
    it is, and "" for none."""
    return _humanized(value, get_language()) if value else ""


@lru_cache(maxsize=4096)  # a list's rows repeat the same few thousand dates
def _humanized(value: str, language: str) -> str:
    try:
        return PartialDate.parse(value).humanize()
    except ValueError:
        return value


class PartialDateField(models.CharField):
    """A date of year, month or day precision, stored as its ISO prefix ("2014-11").

    ISO prefixes sort chronologically as text, so ordering and year ranges need no date type.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("help_text", f"As precise as the source: {FORMAT_HINT}.")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return str(PartialDate.parse(value))
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_date") from None

    def formfield(self, **kwargs):
        # What is typed may be longer than what is stored ("3 March 2024"): the form must not
        # cut it, so that the parser's message names the whole value.
        return super().formfield(**{"max_length": 40, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("help_text", None)
        return name, path, args, kwargs
