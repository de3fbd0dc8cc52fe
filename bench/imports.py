"""Import and export benchmark; writes docs/bench-imports.md.

    make bench-imports          (or: .venv/bin/python bench/imports.py --rows 100000)

Each scenario runs in its own process on a fresh SQLite file (WAL) unless it says otherwise,
so its peak memory (max RSS) is its own:
  ours       AgreementResource().import_data on an uploaded sheet, as the admin calls it: a
             dry run (read, check, keep the plan), then a real run on the sheet read again
             from the upload store (the kept plan, as nothing was saved in between, then
             write); on SQLite and on a fresh PostgreSQL database
  admin      the same through the admin's pages (Django's test client: upload and preview
             page, then the streamed confirm page)
  update     in ours' SQLite database: export every agreement, change each row's place (and
             half the rows' fields), then preview and confirm that sheet
  floor      the database alone: the rows ours wrote (records, parties, fields and their
             history), inserted again into an empty schema by the driver in one transaction
             (sqlite3's multi-row INSERTs; psycopg's COPY, then the commit that checks the
             foreign keys); no parsing, no checks
  default    django-import-export's ModelResource, row by row: dry run, then import
  use_bulk   the same resource with the library's Meta.use_bulk = True (bulk_create per batch)
  bulk       a bare bulk_create of the same agreements, parties and fields (no checks, no history)
  export     the admin's streamed CSV export of the first N rows (10k and all)
django-import-export's default resource cannot fill parties with roles (a through model), so
it imports the other columns: it does less work than ours, not more; its use_bulk resource
cannot write many-to-many fields either, so it leaves out the fields of cooperation too.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import random
import resource as rusage
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
# What an agreement import writes: the floor scenario inserts these rows again.
WRITTEN_TABLES = [
    "curation_agreement",
    "curation_historicalagreement",
    "curation_agreementparty",
    "curation_historicalagreementparty",
    "curation_agreement_fields",
    "curation_historicalagreement_fields",
]
RECORDS = WRITTEN_TABLES[0]  # with the FTS5 index of their search text (migration 0015)


def sheet(rows: int, seed: int = 7) -> bytes:
    from curation.demo import COUNTRIES, FIELDS, KINDS, TOPICS

    rng = random.Random(seed)
    states = [name for name, _ in COUNTRIES.values()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title_en", "kind", "date_signed", "parties", "fields", "summary"])
    for n in range(rows):
        parties = rng.sample(states, rng.randint(2, 3))
        writer.writerow(
            [
                f"Agreement {n} on {rng.choice(TOPICS)} between {' and '.join(parties)}",
                rng.choice(KINDS).label,
                rng.choice(
                    [
                        f"{rng.randint(1955, 2025)}",
                        f"{rng.randint(1955, 2025)}-{rng.randint(1, 12):02d}",
                    ]
                ),
                "; ".join(f"{p} (signatory)" for p in parties),
                "; ".join(rng.sample(FIELDS, rng.randint(1, 3))),
                "",
            ]
        )
    return out.getvalue().encode()


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # the admin scenario's test client
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from curation.demo import _reference_data

    _reference_data()


def preview_and_confirm(data: bytes, action: str) -> dict:
    """An uploaded sheet through import_data's two runs, as the admin makes them, timed;
    action is the count to expect. The write is timed inside the real run (write_lock)."""
    from curation.accounts import ensure_user
    from curation.resources import AgreementResource
    from curation.spreadsheets import importing
    from curation.spreadsheets.formats import CSV
    from curation.spreadsheets.storage import ImportBatchStorage

    editor = ensure_user("bench-editor", ["Editors"])
    upload = ImportBatchStorage(model_name="agreement")
    upload.save(data)
    batch = upload.batch()
    batch.claim(editor, "bench.csv")
    writes = []
    apply = importing.apply

    def timed_apply(*args, **kwargs):
        started = time.perf_counter()
        apply(*args, **kwargs)
        writes.append(time.perf_counter() - started)

    importing.apply = timed_apply
    started = time.perf_counter()
    dry = AgreementResource().import_data(
        CSV().create_dataset(upload.read()), dry_run=True, user=editor, batch=batch
    )
    confirming = time.perf_counter()
    # The admin's preview and confirm are separate requests: the preview's result is gone by
    # the time confirm runs, so it is not held here either (it held 470 MiB at 100k updates).
    previewed = dry.totals[action]
    del dry
    kept = bytes(upload.batch().checked_plan)
    real = AgreementResource().import_data(
        CSV().create_dataset(upload.read()), dry_run=False, user=editor, batch=upload.batch()
    )
    done = time.perf_counter()
    importing.apply = apply
    assert previewed == real.totals[action] == len(real.plan.rows), real.totals
    assert real.written and not real.has_errors(), real.problems
    assert kept, "confirm had no kept plan: it checked the sheet again"
    return {
        "rows": previewed,
        "preview": confirming - started,
        "confirm": done - confirming,
        "write_lock": writes[0],
        "total": done - started,
    }


def run_admin(data: bytes) -> dict:
    """The admin's own pages: the import form posted (preview page), then confirm."""
    from django.test import Client

    from curation.accounts import ensure_user
    from curation.models import Agreement
    from tests.spreadsheets import confirm, confirm_data, upload

    client = Client()
    client.force_login(ensure_user("bench-editor", ["Editors"]))
    started = time.perf_counter()
    preview = upload(client, data, "bench.csv")
    confirming = time.perf_counter()
    page_bytes, form = len(preview.content), confirm_data(preview)
    # The test client keeps the page's template context, and with it the whole dry run,
    # which a browser never holds on the server: let it go before confirm, as a browser does.
    del preview
    page = confirm(client, form)
    done = time.perf_counter()
    assert "new, 0 updated" in page, page[-2000:]
    return {
        "rows": Agreement.objects.count(),
        "preview": confirming - started,
        "confirm": done - confirming,
        "write_lock": float("nan"),
        "total": done - started,
        "page_bytes": page_bytes,
    }


def run_ours(data: bytes) -> dict:
    from curation.models import Agreement

    result = preview_and_confirm(data, "new")
    assert result["rows"] == Agreement.objects.count()
    return result


def streamed_csv(resource, queryset) -> str:
    """The admin's streamed export, as text."""
    from curation.spreadsheets.formats import CSV

    rows = (resource.export_resource(obj) for obj in resource.iter_queryset(queryset))
    return "".join(CSV().stream(resource.headers, rows))


def edited_export(resource) -> tuple[bytes, int]:
    """Every record exported as CSV, each row's place changed and half the rows' fields."""
    text = streamed_csv(resource, resource.get_queryset())
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    for number, row in enumerate(rows):
        row["place"] = f"Hanoi {number % 7}"
        if number % 2:
            row["fields"] = "Energy"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    count = len(rows)
    del rows, text  # the harness's copies: not the import's memory
    gc.collect()
    return out.getvalue().encode(), count


def run_update(data: bytes) -> dict:
    """Every agreement of the database exported, edited and imported again."""
    from curation.models import Agreement
    from curation.resources import RESOURCES

    edited, rows = edited_export(RESOURCES[Agreement])
    result = preview_and_confirm(edited, "update")
    assert result["rows"] == rows
    return result


def run_floor(source: Path) -> dict:
    """The rows an import wrote, inserted again by the database driver alone, in one
    transaction, into this scenario's empty schema: on SQLite in INSERTs of as many rows as
    a statement may bind; on PostgreSQL with COPY, and
    the commit that checks their foreign keys."""
    import sqlite3

    from curation.accounts import ensure_user

    ensure_user("bench-editor", ["Editors"])  # the history rows' user, as in the source
    from django.db import connection

    written = sqlite3.connect(source)
    tables = {
        table: written.execute(f"SELECT * FROM {table}").fetchall() for table in WRITTEN_TABLES
    }
    if connection.vendor == "postgresql":
        return _postgresql_floor(written, tables)
    connection.close()
    empty = sqlite3.connect(
        os.environ["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None
    )
    empty.execute("PRAGMA foreign_keys = ON")
    empty.execute("PRAGMA synchronous = NORMAL")  # as coop.settings sets it

    def insert(table: str, rows: list | None = None) -> float:
        rows = rows or tables[table]
        started = time.perf_counter()
        width = len(rows[0])
        per_statement = 999 // width  # SQLite's bound parameters a statement, as Django's
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            marks = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
            empty.execute(
                f"INSERT INTO {table} VALUES {marks}", [value for row in chunk for value in row]
            )
        return time.perf_counter() - started

    # First, apart and undone: the agreements as if verified, so in the FTS5 text index that
    # holds only verified records (migration 0016), as every record was before it.
    status = [column[1] for column in written.execute(f"PRAGMA table_info({RECORDS})")].index(
        "status"
    )
    verified = [(*row[:status], "verified", *row[status + 1 :]) for row in tables[RECORDS]]
    empty.execute("BEGIN IMMEDIATE")
    indexed = insert(RECORDS, verified)
    empty.execute("ROLLBACK")
    del verified
    started = time.perf_counter()
    empty.execute("BEGIN IMMEDIATE")
    seconds = {table: insert(table) for table in tables}
    empty.execute("COMMIT")
    return {
        "total": time.perf_counter() - started,
        "rows": sum(map(len, tables.values())),
        "records": seconds[RECORDS],
        "records_indexed": indexed,
    }


def _postgresql_floor(written, tables: dict) -> dict:
    """COPY of the rows SQLite holds (the same ids: both schemas were filled alike), and the
    commit, where PostgreSQL checks each row's foreign keys (Django makes them deferred)."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, rows in tables.items():
            columns = [column[1] for column in written.execute(f"PRAGMA table_info({table})")]
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        copied = time.perf_counter()
    done = time.perf_counter()
    return {
        "total": done - started,
        "rows": sum(map(len, tables.values())),
        "commit": done - copied,
    }


def run_default(data: bytes, use_bulk: bool = False) -> dict:
    import tablib
    from import_export import resources, widgets
    from import_export.fields import Field

    from curation.models import Agreement, FieldOfCooperation
    from curation.models.references import allocate_references

    class DefaultAgreementResource(resources.ModelResource):
        fields = Field(
            attribute="fields",
            column_name="fields",
            widget=widgets.ManyToManyWidget(FieldOfCooperation, field="name", separator=";"),
        )

        class Meta:
            model = Agreement
            fields = ("title_en", "kind", "date_signed", "fields", "summary")
            import_id_fields = ("title_en", "date_signed")

    class BulkAgreementResource(resources.ModelResource):
        """use_bulk cannot write many-to-many fields: the fields of cooperation are left out."""

        class Meta:
            model = Agreement
            fields = ("title_en", "kind", "date_signed", "summary")
            import_id_fields = ("title_en", "date_signed")
            use_bulk = True
            batch_size = 1000

        def before_import(self, dataset, **kwargs):
            # bulk_create skips save(), which gives each record its reference
            self.references = iter(allocate_references(Agreement, len(dataset)))

        def after_init_instance(self, instance, new, row, **kwargs):
            instance.reference = next(self.references)

    dataset = tablib.Dataset().load(data.decode(), format="csv")
    resource = BulkAgreementResource() if use_bulk else DefaultAgreementResource()
    started = time.perf_counter()
    dry = resource.import_data(dataset, dry_run=True)
    previewed = time.perf_counter()
    real = resource.import_data(dataset, dry_run=False)
    done = time.perf_counter()
    assert not dry.has_errors() and not real.has_errors(), (dry.base_errors, dry.row_errors()[:2])
    return {"preview": previewed - started, "confirm": done - previewed, "total": done - started}


def run_bulk(data: bytes) -> dict:
    from curation.models import Agreement, AgreementParty, FieldOfCooperation, Organization
    from curation.models.references import allocate_references

    rows = list(csv.DictReader(io.StringIO(data.decode())))
    started = time.perf_counter()
    organizations = {o.name: o for o in Organization.objects.all()}
    vocabulary = {f.name: f for f in FieldOfCooperation.objects.all()}
    records = [
        Agreement(
            reference=ref, title_en=row["title_en"], kind="contract", date_signed=row["date_signed"]
        )
        for ref, row in zip(allocate_references(Agreement, len(rows)), rows, strict=True)
    ]
    Agreement.objects.bulk_create(records, batch_size=2000)
    AgreementParty.objects.bulk_create(
        [
            AgreementParty(agreement=record, organization=organizations[p.split(" (")[0]])
            for record, row in zip(records, rows, strict=True)
            for p in row["parties"].split("; ")
        ],
        batch_size=2000,
    )
    through = Agreement.fields.through
    through.objects.bulk_create(
        [
            through(agreement=record, fieldofcooperation=vocabulary[name])
            for record, row in zip(records, rows, strict=True)
            for name in row["fields"].split("; ")
        ],
        batch_size=2000,
    )
    return {"total": time.perf_counter() - started}


def run_export(limit: int) -> dict:
    from curation.models import Agreement
    from curation.resources import AgreementResource

    resource = AgreementResource()
    first = Agreement.objects.order_by("pk").values("pk")[:limit]
    started = time.perf_counter()
    size = len(streamed_csv(resource, resource.get_queryset().filter(pk__in=first)))
    return {"total": time.perf_counter() - started, "bytes": size}


def child(mode: str, rows: int, url: str, sheet_path: Path) -> None:
    setup(url)
    data = sheet_path.read_bytes()
    if mode == "export":
        result = run_export(rows)
    elif mode.startswith("floor:"):
        result = run_floor(Path(mode.removeprefix("floor:")))
    else:
        runs = {
            "ours": run_ours,
            "admin": run_admin,
            "update": run_update,
            "default": run_default,
            "use_bulk": lambda data: run_default(data, use_bulk=True),
            "bulk": run_bulk,
        }
        result = runs[mode](data)
    result["max_rss_mib"] = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def fresh_postgresql(name: str = "coop_bench_imports") -> str:
    """An empty PostgreSQL database of that name (dropped first if it exists); its URL."""
    psql = ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    return f"{POSTGRES}/{name}"


def scenario(mode: str, rows: int, sheet_path: Path, database: str | None = None) -> dict:
    fresh = database is None
    database = database or f"sqlite:///{Path(tempfile.mkdtemp(dir=DATA)) / 'import.sqlite3'}"
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--rows",
            str(rows),
            "--database",
            str(database),
            "--sheet",
            str(sheet_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["database"] = str(database) if not fresh or mode == "ours" else ""
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--default-rows",
        type=int,
        default=5_000,
        help="rows for django-import-export's row-by-row resource (slow)",
    )
    parser.add_argument("--child")
    parser.add_argument("--database")
    parser.add_argument("--sheet")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench-imports.md"))
    options = parser.parse_args()
    if options.child:
        return child(options.child, options.rows, options.database, Path(options.sheet))
    DATA.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    import django

    django.setup()
    n, small_n = options.rows, options.default_rows
    big, small = DATA / f"sheet-{n}.csv", DATA / f"sheet-{small_n}.csv"
    big.write_bytes(sheet(n))
    small.write_bytes(sheet(small_n))
    ours = scenario("ours", n, big)
    ours_path = ours["database"].removeprefix("sqlite:///")
    floor = scenario(f"floor:{ours_path}", n, big)
    ours_pg = scenario("ours", n, big, fresh_postgresql())
    floor_pg = scenario(f"floor:{ours_path}", n, big, fresh_postgresql("coop_bench_floor"))
    ours_small = scenario("ours", small_n, small)
    default = scenario("default", small_n, small)
    use_bulk = scenario("use_bulk", small_n, small)
    admin = scenario("admin", n, big)
    bulk = scenario("bulk", n, big)
    exports = [scenario("export", rows, big, ours["database"]) for rows in (10_000, n)]
    update = scenario("update", n, big, ours["database"])
    rate = lambda rows, result: rows / result["total"]  # noqa: E731

    def import_row(label: str, rows: int, result: dict) -> str:
        return (
            f"| {label} | {rows:,} | {result['preview']:.1f} | {result['confirm']:.1f} | "
            f"{result['total']:.1f} | {rate(rows, result):,.0f} | {result['write_lock']:.1f} | "
            f"{result['max_rss_mib']:.0f} |"
        )

    lines = [
        "# Import and export benchmark",
        "",
        "Agreement sheet from `bench/imports.py` (2–3 parties with roles and 1–3 fields a row), "
        "new records into SQLite (WAL) unless the row says otherwise, on this project's 2-core "
        "machine. Command: `make bench-imports`. Each row is one process; compare rows of the "
        "same run: these machines differ in speed from session to session.",
        "",
        "| scenario | rows | preview (s) | confirm (s) | total (s) | rows/s | write (s) | peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        import_row("coop: new rows, preview + confirm", n, ours),
        import_row("coop: new rows, PostgreSQL", n, ours_pg),
        import_row("coop: new rows, through the admin's pages", n, admin).replace("nan", ""),
        import_row(
            "coop: every row changed (place; fields in half), preview + confirm",
            update["rows"],
            update,
        ),
        import_row("coop: new rows, preview + confirm", small_n, ours_small),
        f"| django-import-export default ModelResource: dry run + import | {small_n:,} | "
        f"{default['preview']:.1f} | {default['confirm']:.1f} | {default['total']:.1f} | "
        f"{rate(small_n, default):,.0f} | | {default['max_rss_mib']:.0f} |",
        f"| django-import-export ModelResource, `use_bulk = True` | {small_n:,} | "
        f"{use_bulk['preview']:.1f} | {use_bulk['confirm']:.1f} | {use_bulk['total']:.1f} | "
        f"{rate(small_n, use_bulk):,.0f} | | {use_bulk['max_rss_mib']:.0f} |",
        f"| bare bulk_create (no checks, no history) | {n:,} | | | {bulk['total']:.1f} | "
        f"{rate(n, bulk):,.0f} | | {bulk['max_rss_mib']:.0f} |",
        f"| floor: sqlite3 inserts the {floor['rows']:,} rows coop wrote, nothing else | {n:,} | | | "
        f"{floor['total']:.1f} | {rate(n, floor):,.0f} | {floor['total']:.1f} | |",
        f"| floor: PostgreSQL COPY of the same rows, then the commit | {n:,} | | | "
        f"{floor_pg['total']:.1f} | {rate(n, floor_pg):,.0f} | {floor_pg['total']:.1f} | |",
        "",
        f"Each of the two runs on its own, {n:,} new rows: on SQLite the preview read "
        f"{n / ours['preview']:,.0f} rows/s and the confirm wrote {n / ours['confirm']:,.0f}; on "
        f"PostgreSQL {n / ours_pg['preview']:,.0f} and {n / ours_pg['confirm']:,.0f}.",
        "",
        f"Ratios: coop to django-import-export's default resource "
        f"{rate(small_n, ours_small) / rate(small_n, default):.1f}× and to its `use_bulk` "
        f"resource {rate(small_n, ours_small) / rate(small_n, use_bulk):.1f}× (on {small_n:,} "
        "rows); "
        f"coop to bare bulk_create {rate(n, ours) / rate(n, bulk):.2f}× (on {n:,} rows). "
        f"coop's write step took {ours['write_lock'] / floor['total']:.2f}× the floor's time: "
        f"the floor alone allows at most {rate(n, floor):,.0f} rows/s here, before any reading, "
        "checking or preview. "
        f"On PostgreSQL the floor is {floor_pg['total']:.1f} s: the COPY, and "
        f"{floor_pg['commit']:.1f} s of commit, where PostgreSQL checks each new row's foreign "
        "keys (the import's record, organization, field and user of every row: Django makes "
        "them deferred). coop's confirm took "
        f"{ours_pg['confirm'] / floor_pg['total']:.2f}× that floor; the floor alone allows at "
        f"most {rate(n, floor_pg):,.0f} rows/s for the confirm there.",
        "",
        f"Imported records arrive in review, and the text index holds verified records only "
        f"(migration 0016), so an import does not tokenize their search texts: the floor "
        f"inserts the {n:,} agreements in {floor['records']:.1f} s. Inserted as verified, so "
        f"into their FTS5 trigram index, as every record was before migration 0016, they take "
        f"{floor['records_indexed']:.1f} s: "
        f"{floor['records_indexed'] - floor['records']:.1f} s more, "
        f"{(floor['records_indexed'] - floor['records']) / floor['total']:.0%} of this floor. "
        "A record pays that when it is verified.",
        "",
        f"The write step holds SQLite's write lock for {ours['write_lock']:.1f} s on {n:,} new "
        f"rows and {update['write_lock']:.1f} s on {update['rows']:,} changed rows. "
        + (
            "Other editors' saves wait for it (busy timeout 20 s)."
            if max(ours["write_lock"], update["write_lock"]) < 20
            else "Longer than the 20 s busy timeout: another editor saving meanwhile gets "
            '"database is locked". Split such sheets, or use PostgreSQL.'
        ),
        "",
        f"The admin's preview page for {n:,} new rows is {admin['page_bytes'] / 2**20:.1f} MB "
        "(totals, the first 300 rows with their values, the confirm form).",
        "",
        "## Export (the admin's streamed CSV of agreements with parties and fields)",
        "",
        "| rows | seconds | peak RSS (MiB) |",
        "| ---: | ---: | ---: |",
        *[
            f"| {rows:,} | {e['total']:.1f} | {e['max_rss_mib']:.0f} |"
            for rows, e in zip((10_000, n), exports, strict=True)
        ],
    ]
    Path(options.output).write_text("\n".join(lines) + "\n")
    for scratch in DATA.glob("tmp*"):
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
