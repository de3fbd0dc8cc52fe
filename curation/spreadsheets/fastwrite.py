"""Many rows written at once, with no SQL compiled per row.

Used by imports for records, their links and their history. Django's bulk_create spends
most of its time building instances and preparing each value, and its bulk_update builds a
CASE expression per row and field (about 300 rows/s here). New rows go to SQLite in
multi-row INSERTs and to PostgreSQL with COPY, which it reads several times faster than INSERTs;
changed rows are UPDATEd by primary key with executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from operator import itemgetter

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


def _adapted(adapt: Callable | None) -> Callable | None:
    """adapt, for values that repeat (one timestamp for a whole import): each adapted once."""
    if adapt is None:
        return None
    adapted = {}

    def one(value):
        if value is None:
            return None
        if isinstance(value, dict | list):
            return adapt(value)
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    return one


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for count new rows, known before they are inserted, so no query has to
    look them up afterwards.

    PostgreSQL hands them out from the table's sequence. On SQLite the caller's transaction
    holds the only write lock (it begins IMMEDIATE), so the ids above the highest ever used
    are free; AUTOINCREMENT then records the new highest.
    """
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence looked up once, not once a row (5 times as long).
            cursor.execute(
                "SELECT nextval(sequence) FROM generate_series(1, %s), "
                "(SELECT pg_get_serial_sequence(%s, %s)::regclass AS sequence OFFSET 0) AS named",
                [count, table, model._meta.pk.column],
            )
            return [number for (number,) in cursor.fetchall()]
        if not connection.in_atomic_block:
            raise RuntimeError("reserve_ids needs the transaction that will insert the rows.")
        quote = connection.ops.quote_name
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"coalesce((SELECT max({quote(model._meta.pk.column)}) FROM {quote(table)}), 0))",
            [table],
        )
        (highest,) = cursor.fetchone()
    return list(range(highest + 1, highest + count + 1))


def insert_rows(model: type[models.Model], rows: list[dict], **same_for_all) -> None:
    """Insert rows (attname -> value); columns a row leaves out take the field's default,
    and those named in same_for_all take that value in every row.

    The primary key is written when the rows carry it (see reserve_ids), else the database
    assigns it."""
    if not rows:
        return
    pk = model._meta.pk
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key or pk.attname in rows[0]
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_names = ", ".join(quote(field.column) for field in fields)
    params = _values_in_order(fields, rows, same_for_all)
    # The driver's own cursor and COPY: its errors become Django's (IntegrityError, ...), which
    # the import turns into a message, as they would through Django's cursor.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_names}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        # Many rows a statement: SQLite copies each page a statement first changes to its
        # statement journal, so row-at-a-time inserts into a table with a trigger (the text
        # index's) copied every index page they touched, row after row (2.6x the time). The
        # driver's own cursor takes the ? placeholders as they are: Django's rewrites each
        # statement's %s with a regular expression.
        per_statement = max(1, connection.features.max_query_params // len(fields))
        row = f"({', '.join(['?'] * len(fields))})"
        sql = f"INSERT INTO {table} ({column_names}) VALUES "
        full = sql + ", ".join([row] * per_statement)
        for start in range(0, len(params), per_statement):
            chunk = params[start : start + per_statement]
            statement = full if len(chunk) == per_statement else sql + ", ".join([row] * len(chunk))
            connection.connection.execute(statement, list(chain.from_iterable(chunk)))


def _values_in_order(fields, rows: list[dict], same_for_all: dict) -> list[tuple]:
    """Each row's values, in the order of fields, as the database takes them."""
    defaults = {field.attname: field.get_default() for field in fields}
    adapters = {field.attname: _adapted(_adapter(field)) for field in fields}
    fixed = {
        name: adapters[name](value) if adapters[name] else value
        for name, value in same_for_all.items()
    }
    adapted = [(name, adapt) for name, adapt in adapters.items() if adapt and name not in fixed]
    pick = itemgetter(*defaults) if len(defaults) > 1 else lambda row: (row[fields[0].attname],)
    params = []
    for row in rows:
        row = {**defaults, **row, **fixed}
        for name, adapt in adapted:
            row[name] = adapt(row[name])
        params.append(pick(row))
    return params


def update_rows(model: type[models.Model], objects: list[models.Model], names: list[str]) -> None:
    """Write the named fields of each object to its row."""
    if not objects:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(model._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(model._meta.pk.column),
    )
    columns = [
        [getattr(obj, field.attname) for obj in objects]
        if (adapt := _adapted(_adapter(field))) is None
        else [adapt(getattr(obj, field.attname)) for obj in objects]
        for field in fields
    ]
    params = list(zip(*columns, [obj.pk for obj in objects], strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[start : start + CHUNK])


def insert_history(
    model: type[models.Model], rows: list[dict], *, by, reason: str, when, kind: str = "+"
) -> None:
    """simple-history's rows for rows just written (attname -> value, "id" included);
    kind "+" for created rows, "~" for changed ones."""
    insert_rows(
        model.history.model,
        rows,
        history_date=when,
        history_change_reason=reason,
        history_type=kind,
        history_user_id=by.pk,
    )


def update_with_history(model, objects, names: list[str], *, by, reason: str, when) -> None:
    """update_rows, and a history row with each object's new state."""
    update_rows(model, objects, names)
    snapshots = [vars(obj) for obj in objects]  # attname -> value, as insert_rows reads rows
    insert_history(model, snapshots, by=by, reason=reason, when=when, kind="~")


def insert_m2m_history(model, record_ids: list[int], *, since) -> None:
    """simple-history's many-to-many snapshots (fields of cooperation, say) for the latest
    history row written since `since` for each of these records, as the lists stand now:
    without them the history would say the import emptied the lists and the next save
    refilled them."""
    from simple_history.models import HistoricalRecords

    history = model.history.model
    for field in getattr(history, "_history_m2m_fields", []):
        snapshot = HistoricalRecords.m2m_models[field]
        through = field.remote_field.through
        own = f"{model._meta.model_name}_id"
        other = next(
            f.attname for f in through._meta.concrete_fields if f.is_relation and f.attname != own
        )
        rows = []
        for start in range(0, len(record_ids), CHUNK):
            chunk = record_ids[start : start + CHUNK]
            written = history.objects.filter(id__in=chunk, history_date__gte=since)
            versions = dict(written.order_by("history_id").values_list("id", "history_id"))
            rows += [
                {"id": pk, own: record, other: target, "history_id": versions[record]}
                for pk, record, target in through.objects.filter(**{f"{own}__in": chunk})
                .values_list("pk", own, other)
                .iterator()
                if record in versions
            ]
        insert_rows(snapshot, rows)
