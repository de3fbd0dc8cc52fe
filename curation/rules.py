"""The rules a value meets to be stored, whichever way it comes in: the admin's forms, an
import (the admin's or `manage.py import`), the resources' API, or a model's full_clean().

Text is normalised in one place (as_stored) and then checked (text_problem); amounts are read
by one parser (parse_amount); codes are checked against ISO 3166 and ISO 4217. The models
declare these as their fields' validators, and the import runs the same validators, so a
value that one way refuses, every way refuses, with the same message.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

# C0 controls and DEL but tab and line breaks; UTF-16 surrogates, which no encoding can write
# alone; and Unicode's noncharacters (U+FDD0-U+FDEF, and the last two of every plane, U+FFFE
# among them), which XML, and so XLSX, ODS and Atom, cannot carry.
_LAST_OF_EACH_PLANE = "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
_UNSTORABLE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef{_LAST_OF_EACH_PLANE}]"
)
# An amount as the documentation writes it: 1800000, 1800000.50, 1,800,000.50 or -3.
_AMOUNT = re.compile(r"^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")


def as_stored(text: str, verbatim: bool = False) -> str:
    """Text as it is stored, the same from a form, a sheet or a script: line endings as \\n,
    in Unicode's composed form (NFC), without spaces and tabs at the ends of lines or around
    the whole; text of nothing but white space is empty. Verbatim text (a source's captured
    text) only has its line endings made \\n."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if verbatim:
        return text
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if " \n" in text or "\t\n" in text:
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = text.strip(" \t\n")
    return text if text.strip() else ""


# The admin's forms leave text to as_stored(): a form field's own strip() would take off white
# space (U+00A0, U+3000) that an import keeps.
FORM_TEXT_FIELDS = {models.CharField: {"strip": False}, models.TextField: {"strip": False}}


def text_problem(text: str) -> str | None:
    """Why text cannot be stored (it could not be exported or served), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return (
        f"holds the character U+{ord(found.group()):04X}, which cannot be shown, exported or "
        "sent in a feed; remove it."
    )


def check_text(text: str) -> None:
    if problem := text_problem(text):
        raise ValidationError(problem[0].upper() + problem[1:], code="unstorable")


@cache
def _country_codes() -> frozenset[str]:
    current = {country.alpha_2 for country in pycountry.countries}
    former = {country.alpha_2 for country in pycountry.historic_countries}  # SU, VD, DD, YU…
    return frozenset(current | former)


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def check_country(code: str) -> None:
    if code not in _country_codes():
        raise ValidationError(
            "“%(code)s” is not an ISO 3166 country code: use two capital letters, e.g. VN, "
            "or a former state's code (SU, VD).",
            code="country",
            params={"code": code[:20]},
        )


def check_currency(code: str) -> None:
    if code not in _currency_codes():
        raise ValidationError(
            "“%(code)s” is not an ISO 4217 currency code: use three capital letters, e.g. USD.",
            code="currency",
            params={"code": code[:20]},
        )


WIKIDATA_ID = re.compile(r"Q[1-9][0-9]{0,11}")
# ROR identifiers: 0, six Crockford base-32 digits, and an ISO 7064 mod 97-10 checksum.
ROR_DIGITS = "0123456789abcdefghjkmnpqrstvwxyz"
ROR_ID = re.compile(rf"0[{ROR_DIGITS}]{{6}}[0-9]{{2}}")


def check_wikidata_id(value: str) -> None:
    if not WIKIDATA_ID.fullmatch(value):
        raise ValidationError(
            "“%(value)s” is not a Wikidata item ID: a Q and its number, e.g. Q881.",
            code="wikidata_id",
            params={"value": value[:40]},
        )


def check_ror_id(value: str) -> None:
    if not ROR_ID.fullmatch(value):
        raise ValidationError(
            "“%(value)s” is not a ROR ID: nine characters such as 018mejw64, without "
            "https://ror.org/.",
            code="ror_id",
            params={"value": value[:40]},
        )
    number = 0
    for digit in value[:7]:
        number = number * 32 + ROR_DIGITS.index(digit)
    if int(value[7:]) != 98 - (number * 100) % 97:
        raise ValidationError(
            "“%(value)s” is not a ROR ID: its last two digits do not check. Copy it from ror.org.",
            code="ror_id",
            params={"value": value},
        )


def parse_amount(text: str) -> Decimal | None:
    """An amount written as the documentation says: digits with a point before the decimals
    and, if wanted, commas between thousands. Anything else is refused, not guessed at."""
    text = text.strip()
    if not text:
        return None
    if not _AMOUNT.match(text):
        raise ValidationError(
            "“%(value)s” is not an amount: write digits with a point before the decimals, "
            "e.g. 1800000 or 1,800,000.50.",
            code="amount",
            params={"value": text[:40]},
        )
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        raise ValidationError("Enter a number.", code="invalid") from None


EXACT_DIGITS = 15  # what SQLite's REAL (a double) holds exactly; PostgreSQL's numeric holds more


def check_exact_digits(value: Decimal) -> None:
    """An amount both databases store exactly: SQLite would round a 16th significant digit."""
    if value.is_finite() and len(value.normalize().as_tuple().digits) > EXACT_DIGITS:
        raise ValidationError(
            "Ensure that there are no more than %(max)s significant digits: the database "
            "would not keep the rest exactly.",
            code="max_digits",
            params={"max": EXACT_DIGITS},
        )


class AmountFormField(forms.DecimalField):
    """A form's amount, read by parse_amount as an import reads it."""

    def to_python(self, value):
        if isinstance(value, str):
            return parse_amount(value)
        return super().to_python(value)


class AmountField(models.DecimalField):
    """A budget: a decimal read the same way from a form and from a sheet, never below 0, and
    stored exactly by either database."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [MinValueValidator(0), check_exact_digits])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AmountFormField, **kwargs})


class StoredText(models.Model):
    """A model whose text is normalised by as_stored() before it is validated or saved, and
    refused if it holds a character that could not be exported (check_text)."""

    VERBATIM_FIELDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def normalise_text(self) -> None:
        for field in self._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField) and field.editable:
                value = getattr(self, field.attname)
                if isinstance(value, str):
                    verbatim = field.name in self.VERBATIM_FIELDS
                    setattr(self, field.attname, as_stored(value, verbatim))

    @classmethod
    def inconsistencies(cls, value) -> dict[str, str]:
        """Rules between fields, as {field: message}. value(name) reads a field: from the
        instance in clean(), from a sheet's row (or the record it updates) in an import."""
        return {}

    def clean(self):
        super().clean()
        if problems := self.inconsistencies(lambda name: getattr(self, name)):
            raise ValidationError(problems)

    def clean_fields(self, exclude=None):
        self.normalise_text()
        errors = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if field.name in (exclude or ()) or field.name in errors or not isinstance(value, str):
                continue
            if problem := text_problem(value):
                errors[field.name] = [problem[0].upper() + problem[1:]]
        if errors:
            raise ValidationError(errors)
