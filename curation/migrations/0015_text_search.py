"""Search on the databases' own text indexes, and folded titles for ranking title matches.

SQLite: an FTS5 table per record model with the trigram tokenizer, over the folded
search_text column (external content, kept in step by triggers), so that a word is found as
a substring of any word, as LIKE '%word%' finds it, without a scan.
PostgreSQL: a pg_trgm GIN index on search_text, which answers LIKE '%word%' itself.
search_text is folded in Python (curation.text.fold_for_search) on both, so that both find
the same records: "thoa thuan" finds "Thỏa thuận".
"""

from django.db import migrations, models

from curation.text import fold_for_search

TABLES = ["curation_agreement", "curation_project"]


def fold_titles(apps, schema_editor):
    for name in ("Agreement", "Project"):
        model = apps.get_model("curation", name)
        rows = model.objects.values_list("pk", "title_en", "title_original").iterator(2000)
        batch = []
        for pk, title_en, title_original in rows:
            batch.append(model(pk=pk, search_title=fold_for_search(f"{title_en} {title_original}")))
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["search_title"])
                batch = []
        model.objects.bulk_update(batch, ["search_title"])


def sqlite_statements(table: str) -> list[str]:
    index = f"{table}_search"
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5(search_text, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {index}({index}, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF search_text ON {table} "
        "WHEN old.search_text IS NOT new.search_text BEGIN "
        f"INSERT INTO {index}({index}, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    ]


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = [sql for table in TABLES for sql in sqlite_statements(table)]
    elif vendor == "postgresql":
        statements = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
            f"CREATE INDEX {table}_search ON {table} USING gin (search_text gin_trgm_ops)"
            for table in TABLES
        ]
    else:
        statements = []  # other databases search with LIKE alone
    for sql in statements:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for trigger in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{trigger}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_search")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search")


class Migration(migrations.Migration):
    dependencies = [
        ("curation", "0014_facet_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="agreement",
            name="search_title",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="project",
            name="search_title",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fold_titles, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
