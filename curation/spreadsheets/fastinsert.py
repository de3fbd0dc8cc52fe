"""INSERTs of many new rows with executemany: no model instances, no SQL compiled per row.

Used by imports for new records, their links and their history, where Django's bulk_create
spends most of its time building instances and preparing each value.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, models

CHUNK = 5000


def _adapter(field: models.Field) -> Callable | None:
    """How a Python value becomes a database value, for the few types that need it."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DecimalField):
        return lambda value: connection.ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _adapted_column(values: list, adapt: Callable | None) -> list:
    if adapt is None:
        return values
    adapted = {}  # datetimes repeat (one timestamp for a whole import): adapt each once

    def one(value):
        if value is None:
            return None
        if isinstance(value, dict | list):
            return adapt(value)
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    return [one(value) for value in values]


def insert_rows(model: type[models.Model], rows: list[dict]) -> None:
    """Insert rows (attname -> value); columns a row leaves out take the field's default."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = [field.get_default() for field in fields]
    adapters = [_adapter(field) for field in fields]
    names = [field.attname for field in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    columns = [
        _adapted_column([row.get(name, default) for row in rows], adapt)
        for name, default, adapt in zip(names, defaults, adapters, strict=True)
    ]
    params = list(zip(*columns, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[start : start + CHUNK])


def history_rows(
    model: type[models.Model], rows: list[dict], *, by, reason: str, when
) -> list[dict]:
    """simple-history's rows for newly created rows (which must carry their "id")."""
    tracked = {field.attname for field in model.history.model._meta.concrete_fields}
    extra = {
        "history_date": when,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": by.pk,
    }
    return [{**{k: v for k, v in row.items() if k in tracked}, **extra} for row in rows]
