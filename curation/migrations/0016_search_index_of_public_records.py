"""The text indexes hold the verified records only: the public's search set.

Records arrive from an import in review, so an import no longer pays for tokenizing every
search text into the index in its write transaction (most of SQLite's write time, and of the
time it holds the write lock); a record enters the index when it is verified and leaves it
when it goes back to review. The admin finds records not yet verified by their search text
alone (RecordQuerySet.matching).
"""

from importlib import import_module

from django.db import migrations

TABLES = ["curation_agreement", "curation_project"]
VERIFIED = "'verified'"  # Status.VERIFIED, as the database holds it


def sqlite_statements(table: str) -> list[str]:
    index = f"{table}_search"
    remove_old = (
        f"INSERT INTO {index}({index}, rowid, search_text) "
        "SELECT 'delete', old.id, old.search_text"
    )
    add_new = f"INSERT INTO {index}(rowid, search_text) SELECT new.id, new.search_text"
    text_changed = "old.search_text IS NOT new.search_text"
    return [
        *(f"DROP TRIGGER {index}_{event}" for event in ("insert", "delete", "update")),
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} "
        f"WHEN new.status = {VERIFIED} BEGIN {add_new}; END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} "
        f"WHEN old.status = {VERIFIED} BEGIN {remove_old}; END",
        # One trigger, so that the old text leaves the index before the new one enters it.
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF search_text, status ON {table} "
        f"WHEN (old.status = {VERIFIED} OR new.status = {VERIFIED}) BEGIN "
        f"{remove_old} WHERE old.status = {VERIFIED} "
        f"AND (new.status IS NOT {VERIFIED} OR {text_changed}); "
        f"{add_new} WHERE new.status = {VERIFIED} "
        f"AND (old.status IS NOT {VERIFIED} OR {text_changed}); END",
        f"INSERT INTO {index}({index}) VALUES ('delete-all')",
        f"INSERT INTO {index}(rowid, search_text) "
        f"SELECT id, search_text FROM {table} WHERE status = {VERIFIED}",
    ]


def postgresql_statements(table: str) -> list[str]:
    return [
        f"DROP INDEX {table}_search",
        f"CREATE INDEX {table}_search ON {table} USING gin (search_text gin_trgm_ops) "
        f"WHERE status = {VERIFIED}",
    ]


def index_public_records(apps, schema_editor):
    statements = {"sqlite": sqlite_statements, "postgresql": postgresql_statements}.get(
        schema_editor.connection.vendor
    )
    for table in TABLES if statements else []:
        for sql in statements(table):
            schema_editor.execute(sql)


def index_every_record(apps, schema_editor):
    """Back to migration 0015's indexes of every record."""
    previous = import_module("curation.migrations.0015_text_search")
    previous.drop_indexes(apps, schema_editor)
    previous.create_indexes(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0015_text_search"),
    ]

    operations = [migrations.RunPython(index_public_records, index_every_record)]
