"""Benchmark of the public site on 100,000 verified agreements; writes docs/bench-public-site.md.

    make bench-public            (or: .venv/bin/python bench/public_site.py --agreements 100000)

1. In-process, on SQLite and on PostgreSQL (a child process each): median time of the home
   page, list, filter, facet and search pages and a detail page, cold (page cache off) and
   warm (cache on); and the first list and home page after a public write, which build the
   facet summary; and each step of a search page (finding the matches, each facet, the
   page's rows) timed alone. On SQLite also the page cache's hit rate while an editor saves
   a draft once a second, and the CSV download's memory.
2. Over HTTP: wrk against gunicorn (2 workers, page cache off) on both databases, and against
   Datasette serving the same SQLite file, on equivalent pages, one server after the other.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"
VENV_BIN = Path(sys.executable).parent

LIST_URLS = [
    "/agreements/",
    "/agreements/?country=RU&year_min=2000",
    "/agreements/?country=RU&country=FR&match=all",
    "/agreements/?q=research+centre",
    "/agreements/?field=energy&kind=memorandum_of_understanding&sort=title",
    "/agreements/?year_min=1990&year_max=1999&page=3",
]
HIT_SECONDS = 20
READS_PER_SECOND = 50
# The same rows in both tools, 50 a page, newest first: (coop's page, Datasette's table view).
DATASETTE_TABLE = "/bench/curation_agreement?status=verified&_sort_desc=date_signed&_size=50"
EQUIVALENTS = [
    ("/agreements/", DATASETTE_TABLE),
    (
        "/agreements/?kind=memorandum_of_understanding&year_min=2000",
        f"{DATASETTE_TABLE}&kind=memorandum_of_understanding&date_signed__gte=2000",
    ),
    ("/agreements/?q=research", f"{DATASETTE_TABLE}&search_text__contains=research"),
]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log held in memory
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # plain http on 127.0.0.1, no TLS proxy
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    import django

    django.setup()


def build(agreements: int) -> None:
    from django.core.management import call_command

    from curation.models import Agreement

    call_command("migrate", verbosity=0)
    missing = agreements - Agreement.objects.count()
    if missing > 0:
        call_command("generate_demo", agreements=missing)
    settle()


def settle() -> None:
    """On PostgreSQL, what autovacuum soon does after many writes (it is off on this
    machine's server): statistics for the planner, the space of deleted rows for reuse (each
    public write replaces the facet summary's cells), and the visibility map that lets
    index-only scans skip the table (a fresh load has none)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def median_ms(client, url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def page_times(repeat: int) -> list[tuple[str, float, float]]:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from curation.models import Agreement

    client = Client()
    detail = Agreement.objects.public().order_by("reference").first().get_absolute_url()
    rows = []
    for url in ["/", *LIST_URLS, detail]:
        settings.PUBLIC_CACHE_SECONDS = 0
        cold = median_ms(client, url, repeat)
        settings.PUBLIC_CACHE_SECONDS = 600
        cache.clear()
        warm = median_ms(client, url, repeat)
        rows.append((url, cold, warm))
    return rows


SEARCH = "research"  # a word in about a third of the demo's titles and summaries


def search_steps(repeat: int) -> list[tuple[str, float]]:
    """The steps of the search page `/agreements/?q=SEARCH`, each timed alone (median ms), as
    the page makes them: finding the matches alone is the floor under each of them."""
    from django.http import QueryDict

    from curation import listing
    from curation.filters import AgreementFilter
    from curation.models import Agreement

    found = AgreementFilter(QueryDict(f"q={SEARCH}"), queryset=Agreement.objects.public())
    found.is_valid()

    def timed(step) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            step()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    matches = found.qs.count()
    steps = {
        f"the {matches:,} matches, counted and nothing else": lambda: found.qs.order_by().count(),
        "kind facet (and the total)": lambda: found.qs_without("kind").kind_counts(),
        "country facet (through the matches' links)": lambda: found.qs_without(
            "country", "match"
        ).country_counts(),
        "field facet": lambda: found.qs_without("field").field_counts(),
        "the page's 50 rows (title matches first)": lambda: listing.rows(
            Agreement,
            listing.in_list_order(found, found.qs.values(*listing.values(Agreement)))[0:50],
        ),
    }
    return [(label, timed(step)) for label, step in steps.items()]


def toggled(text: str, suffix: str) -> str:
    """text with suffix added, or taken off if it has it: a change at every call."""
    return text.removesuffix(suffix) if text.endswith(suffix) else text + suffix


def after_public_writes(repeat: int) -> list[tuple[str, float, float, float]]:
    """Public writes and the first pages after them: (write, its ms, then / ms, /agreements/ ms).
    A retraction, a verification, an edit of a verified record, an import that updates one
    and an organization's new name carry the facet summary over in their own transaction;
    any other public write (here a bare bump, as a new country for an organization makes)
    leaves the build to the next page."""
    import tablib
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from curation import facets, services
    from curation.accounts import ensure_user
    from curation.models import Agreement, Publication
    from curation.resources import AgreementResource
    from curation.roles import EDITORS, REVIEWERS

    settings.PUBLIC_CACHE_SECONDS = 0
    client, reviewer = Client(), ensure_user("bench-reviewer", [REVIEWERS])
    editor = ensure_user("bench-editor", [EDITORS])
    record = Agreement.objects.public().order_by("reference").last()
    assert client.get("/agreements/").status_code == 200  # this generation's summary

    def retract():
        services.retract_record(record, by=reviewer, reason="Benchmark: withdrawn for a while")

    def verify():
        if record.status == "retracted":
            services.reopen_record(record, by=reviewer)  # not public: no new generation
        services.verify_record(record, by=reviewer)

    def edit():  # as the admin's change form saves it (RecordAdmin.changeform_view)
        record.title_en = toggled(record.title_en, " (edited)")
        with transaction.atomic(), facets.carried_over(Agreement, [record.pk]):
            services.save_record(record, by=editor)

    organization = record.party_links.first().organization  # named on the record's page
    admin = Client()
    admin.force_login(editor)

    def renamed():  # through the admin's change form, as an editor saves it
        organization.refresh_from_db()
        form = {
            "name": toggled(organization.name, " (renamed)"),
            "kind": organization.kind,
            "country": organization.country,
            "successor": organization.successor_id or "",
            "loaded_version": organization.version,
        }
        url = f"/admin/curation/organization/{organization.pk}/change/"
        assert admin.post(url, form).status_code == 302

    def imported():  # a one-row sheet that changes the record's title
        (row,) = AgreementResource().export(Agreement.objects.filter(pk=record.pk)).dict
        row["title_en"] = toggled(row["title_en"], " (imported)")
        sheet = tablib.Dataset(tuple(row.values()), headers=list(row))
        result = AgreementResource().import_data(sheet, dry_run=False, user=editor)
        assert result.totals["update"] == 1 and not result.has_errors(), result.totals

    rows = []
    for label, write in (
        ("a retraction (summary carried over)", retract),
        ("a verification (summary carried over)", verify),
        ("an edit of a verified record, back to review (summary carried over)", edit),
        ("an import that updates a verified record (summary carried over)", imported),
        (
            f"an organization renamed in the admin, named by {organization.agreement_links.count():,} "
            "records (summary carried over)",
            renamed,
        ),
        ("another public write (summary built by the next page)", Publication.bump),
    ):
        times = {"write": [], "/": [], "/agreements/": []}
        for _ in range(repeat):
            record.refresh_from_db()
            if write in (retract, edit, imported) and record.status != "verified":
                verify()
            elif write is verify and record.status == "verified":
                retract()
            generation = Publication.current()
            started = time.perf_counter()
            write()
            times["write"].append(time.perf_counter() - started)
            assert Publication.current() > generation, f"{label}: not a public write"
            for url in ("/", "/agreements/"):
                started = time.perf_counter()
                assert client.get(url).status_code == 200
                times[url].append(time.perf_counter() - started)
        rows.append((label, *[statistics.median(t) * 1000 for t in times.values()]))
    return rows


def hit_rates(seconds: int) -> list[tuple[str, float, int]]:
    """Share of requests served from the page cache while an editor saves a draft once a
    second: as coop flushes now (only writes the public can see), and, in the same run, as
    before (every write flushed). After each save, readers ask for the next READS_PER_SECOND
    of many pages (every list above, 100 record pages, the list's pages 2-50), in turn,
    after one pass that filled the cache."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from curation import services
    from curation.accounts import ensure_user
    from curation.models import Agreement, Publication
    from curation.roles import EDITORS

    settings.PUBLIC_CACHE_SECONDS = 600
    client = Client()
    editor = ensure_user("bench-editor", [EDITORS])
    draft = Agreement(title_en="A draft being edited", kind="contract")
    services.save_record(draft, by=editor)
    records = Agreement.objects.public().order_by("reference")[:100]
    urls = ["/", *LIST_URLS, *[record.get_absolute_url() for record in records]]
    urls += [f"/agreements/?page={page}" for page in range(2, 51)]
    queries = []

    def counted(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    rows = []
    for label, every_write_flushes in (
        ("only writes the public can see flush (coop now)", False),
        ("every write flushes (coop before)", True),
    ):
        cache.clear()
        for url in urls:
            client.get(url)
        hits = requests = 0
        pages = itertools.cycle(urls)
        for _ in range(seconds):  # each second: the editor saves, then readers ask for pages
            second = time.perf_counter() + 1
            draft.summary = f"Edited after {requests} requests"
            services.save_record(draft, by=editor)
            if every_write_flushes:
                Publication.bump()
            for url in itertools.islice(pages, READS_PER_SECOND):
                queries.clear()
                with connection.execute_wrapper(counted):
                    client.get(url)
                requests += 1
                hits += len(queries) == 1  # a cached page costs the generation's query only
            time.sleep(max(0.0, second - time.perf_counter()))
        rows.append((label, hits / requests, requests))
    draft.delete()
    return rows


def download_memory() -> list[tuple[str, int, float, float]]:
    from django.conf import settings
    from django.test import Client

    settings.PUBLIC_CACHE_SECONDS = 0
    client = Client()
    rows = []
    for url in ["/agreements/?format=csv&year_min=2019", "/agreements/?format=csv"]:
        tracemalloc.start()
        started = time.perf_counter()
        lines = sum(chunk.count(b"\n") for chunk in client.get(url).streaming_content)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append((url, lines - 1, peak / 2**20, elapsed))
    return rows


def serve(command: list[str], port: int, env: dict) -> subprocess.Popen:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:  # it would answer in this one's place
            raise SystemExit(f"port {port} is taken: stop the server left on it first")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                subprocess.run(
                    ["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/"],
                    check=True,
                    timeout=120,  # the first page may build the facet summary (see below)
                )
                return process
            except subprocess.CalledProcessError:
                time.sleep(0.3)
        raise SystemExit(f"server on port {port} did not start: {' '.join(command)}")
    except BaseException:
        process.terminate()  # never left running to answer for the next server
        process.wait()
        raise


def wrk(url: str, seconds: int) -> tuple[float, str, int, str]:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "30s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)
    completed = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    problems = "; ".join(
        text
        for text in [errors and f"{errors.group(1)} non-2xx", sockets and sockets.group(1)]
        if text
    )
    return rate, p50, completed, problems or "none"


def gunicorn_env(database_url: str, cache_seconds: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "PUBLIC_CACHE_SECONDS": cache_seconds,
    }


def measured_server(command: list[str], port: int, env: dict, urls: list[str], seconds: int):
    server = serve(command, port, env)
    try:
        return [wrk(f"http://127.0.0.1:{port}{url}", seconds) for url in urls]
    finally:
        server.terminate()
        server.wait()


PER_REQUEST = "coop, a new database connection per request, cold, "


def http_comparison(database: Path, postgresql: str, seconds: int) -> dict[str, list[tuple]]:
    """For each pair of equivalent pages: (server, requests/s, p50, completed, errors)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    ours = [page for page, _ in EQUIVALENTS]
    gunicorn = [str(VENV_BIN / "gunicorn"), "coop.wsgi", "-w", "2", "-b", "127.0.0.1:8101"]
    results = {page: [] for page in ours}
    for label, url, cache_seconds, pages in [
        ("coop, SQLite, page cache on", f"sqlite:///{database}", "600", ours[:1]),
        ("coop, SQLite, cold (cache off)", f"sqlite:///{database}", "0", ours),
        ("coop, PostgreSQL, cold (cache off)", postgresql, "0", ours),
        # Each worker keeps its connection (CONN_MAX_AGE); what one per request would cost:
        (PER_REQUEST + "SQLite", f"sqlite:///{database}?conn_max_age=0", "0", ours[:1]),
        (PER_REQUEST + "PostgreSQL", f"{postgresql}?conn_max_age=0", "0", ours[:1]),
    ]:
        env = gunicorn_env(url, cache_seconds)
        measured = measured_server(gunicorn, 8101, env, pages, seconds)
        for page, result in zip(pages, measured, strict=True):
            results[page].append((label, *result))
    linked = DATA / "bench.db"  # Datasette names the database after the file
    linked.unlink(missing_ok=True)
    linked.symlink_to(database)
    # Facet suggestions off: they are extra queries our page does not run; counts stay on.
    datasette = [
        str(VENV_BIN / "datasette"),
        "serve",
        "-i",
        str(linked),
        "-p",
        "8102",
        *("--setting", "num_sql_threads", "2"),
        *("--setting", "suggest_facets", "off"),
        *("--setting", "sql_time_limit_ms", "30000"),
    ]
    theirs = [table for _, table in EQUIVALENTS]
    env = gunicorn_env(f"sqlite:///{database}", "0")
    measured = measured_server(datasette, 8102, env, theirs, seconds)
    for page, result in zip(ours, measured, strict=True):
        results[page].append(("Datasette 0.65 (immutable file)", *result))
    return results


def child(database_url: str, agreements: int, repeat: int) -> None:
    """Build the data on one database and measure in-process; print the results as JSON."""
    setup_django(database_url)
    build(agreements)
    result = {"pages": page_times(repeat), "search": search_steps(repeat)}
    result["after_writes"] = after_public_writes(3)
    settle()  # before the servers under wrk read it
    if database_url.startswith("sqlite"):
        result["hits"] = hit_rates(HIT_SECONDS)
        result["downloads"] = download_memory()
    print(json.dumps(result))


def run_child(database_url: str, agreements: int, repeat: int) -> dict:
    command = [sys.executable, __file__, "--child", database_url]
    command += ["--agreements", str(agreements), "--repeat", str(repeat)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def search_table(sqlite, postgresql, http) -> list[str]:
    """The search page's steps on both databases, against what 5× Datasette leaves a request."""
    pg_steps = dict(postgresql["search"])
    searched = dict(zip((page for page, _ in EQUIVALENTS), http.values(), strict=True))
    theirs = searched[f"/agreements/?q={SEARCH}"][-1][1]
    budget = 2 * 1000 / (5 * theirs)  # two workers, each serving one request at a time
    facets = [label for label, _ in sqlite["search"] if "facet" in label]
    return [
        f"The search page `/agreements/?q={SEARCH}`, step by step (median ms of each step "
        "alone, in process, page cache off):",
        "",
        "| step | SQLite (ms) | PostgreSQL (ms) |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {ms:.1f} | {pg_steps[label]:.1f} |" for label, ms in sqlite["search"]],
        "",
        f"5× Datasette's {theirs:.1f} requests/s on its equivalent search (below) is "
        f"{5 * theirs:.0f} requests/s: with two workers, {budget:.0f} ms a request, all in. "
        f"Finding and counting the matches alone takes {sqlite['search'][0][1]:.0f} ms on "
        f"SQLite and {postgresql['search'][0][1]:.0f} ms on PostgreSQL, and the three exact "
        "facet counts "
        f"{sum(ms for label, ms in sqlite['search'] if label in facets):.0f} ms on SQLite and "
        f"{sum(pg_steps[label] for label in facets):.0f} ms on PostgreSQL, in this run.",
    ]


def report(agreements, sqlite, postgresql, http, seconds) -> str:
    pg_pages = {url: cold for url, cold, _ in postgresql["pages"]}
    lines = [
        "# Public site benchmark",
        "",
        f"{agreements:,} verified agreements from `generate_demo` (2–3 parties, 1–3 fields and a "
        "citation each), on SQLite (WAL mode) and on PostgreSQL, on this project's 2-core "
        "machine. Command: `make bench-public`. Machines here are shared and noisy: compare "
        "rows of the same run, not runs.",
        "",
        "## Page times (Django test client, median of repeated requests)",
        "",
        "Cold: the page cache off, as readers meet pages while editors work. The facet summary "
        "of the current publication generation is built (see below).",
        "",
        "| page | SQLite cold (ms) | PostgreSQL cold (ms) | PostgreSQL / SQLite | SQLite, cached (ms) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *[
            f"| `{url}` | {cold:.1f} | {pg_pages[url]:.1f} | {pg_pages[url] / cold:.2f}× "
            f"| {warm:.1f} |"
            for url, cold, warm in sqlite["pages"]
        ],
        "",
        "## Where the time goes",
        "",
        "Read off Django's query log at 100,000 agreements (one request at a time); the rest of "
        "a page's time is Python: building the page's 50 records and rendering the template.",
        "",
        "- **Home page**: three sums over the facet summary (counts by country and field, and "
        "agreements per year and country for the chart: a few ms), the five latest verified "
        "agreements and projects through the `(status, verified_at)` index, and drawing the "
        "chart in Python. The chart has about a thousand bars (years by partners, drawn for a "
        "laptop's width and a phone's): their SVG is written out in `curation/charts.py`, "
        "since through the template's tags, six values a bar, they took most of the page's "
        "time (the home view alone went from 56 to 32 ms on SQLite).",
        "- **Lists, facets and filters by one country, field, kind or years**: three sums over "
        "the summary give every facet (over its cells that count all years at once, or those "
        "of each year in the range), and the kind facet gives the paginator's total; the "
        "page's 50 records come through the `(status, date_signed)` index (a country through "
        "its organizations' links) as plain values of the columns a row shows, then one query "
        "names their organizations and one counts their sources (`curation/listing.py`). No "
        "query reads more than the page's records. The rest is Python: of `/agreements/`'s time "
        "on SQLite, timed step by step, about two fifths build the facets and the filter form "
        "(seven small queries), a quarter reads and writes out the 50 rows (three queries) "
        "and a third renders the template. Before, the rows were model "
        "instances with two prefetches (links with their organizations, citations) and the "
        "template worked out each value, and the facets summed every year's cells (about 4,000 "
        "for the country facet, against 60 now): from the run before these changes to the "
        "first one after, the page went from 30.9 to 12.4 ms. Each facet must come through "
        "the index that leads with what it fixes (the country facet's field and year, the "
        "field facet's country and year). On PostgreSQL the transaction that builds or "
        "carries a generation analyzes the summary's generation column, so that the planner "
        "knows the new one: without it, after a verification, the list served 104 to 121 "
        "requests/s under wrk and the kind and years list 69 to 98, against 111 to 135 and "
        "104 to 114 with it (three alternating rounds on one database, not part of this "
        "benchmark).",
        "- **Several countries at once**: the country facet comes from the summary; the kinds "
        "and fields count the records of those countries (two queries over their links).",
        "- **Searches**: the summary cannot answer them, so each facet counts the matching "
        "records (three queries; the total is the kind facet's sum). Search finds its records "
        "through the trigram index (FTS5 or pg_trgm), so its cost grows with the number of "
        "matches, not with the table; but every facet has to read each match (and the country "
        "facet each match's links), and each of the four queries looks the words up again. "
        "The table below times each step of the search page alone, in this run. ANALYZE "
        "changed SQLite's plans for them, not their times; one query for the three facets "
        "over the matches read once (a materialized CTE) took 247 ms against 308 for the three "
        "apart, and per-record columns of kind, countries and fields (JSON arrays, counted "
        "with json_each) 74, 137 and 112 ms: no faster than the joins (both measured by hand "
        "on SQLite at 100,000 agreements, not kept).",
        "- **A record's page**: seven queries by primary key or reference, then the template. "
        "A new PostgreSQL connection costs about 5 ms to open, and its backend's catalog "
        "caches start empty (the seven queries then take up to twice as long), which is why "
        "each server process keeps its connection.",
        "",
        *search_table(sqlite, postgresql, http),
        "",
        "## Public writes, and the first pages after them",
        "",
        "Every write the public can see starts a new publication generation. A retraction or "
        "verification carries the facet summary over to it in its own transaction (the cells "
        "of the generation before, less the record's cells as they were before the write and "
        "plus its cells as it is after it). So do an edit of a verified record, which sends "
        "it back to review (the admin's change form wraps its save in the same carry), and an "
        "import that updates verified agreements or projects, and an admin edit of a source, "
        "a field of cooperation or an organization that leaves its country and successor as "
        "they were (the summary is carried over as it is; a rename also rewrites the search "
        "text of every record that names the organization). After any other "
        "public write (an organization's new country or successor, a deletion, an import of "
        "organizations, sources or citations) the next list or home page builds it (one "
        "INSERT … SELECT over the public records and their links).",
        "",
        "| write | SQLite: write (ms) | then `/` | then `/agreements/` "
        "| PostgreSQL: write (ms) | then `/` | then `/agreements/` |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[
            f"| {label} | {write:.0f} | {home:.0f} | {listed:.0f} | "
            + " | ".join(f"{ms:.0f}" for ms in on_postgresql[1:])
            + " |"
            # the same writes in the same order; a label may count records of its own database
            for (label, write, home, listed), on_postgresql in zip(
                sqlite["after_writes"], postgresql["after_writes"], strict=True
            )
        ],
        "",
        "## Page cache hit rate while an editor saves a draft once a second (SQLite)",
        "",
        f"{HIT_SECONDS} s each way, Django test client, cache on. Each second the editor saves, "
        f"then readers ask for the next {READS_PER_SECOND} of {len(LIST_URLS) + 150} pages (the "
        "lists above, 100 record pages and the list's pages 2–50), in turn, after one pass "
        "that filled the cache.",
        "",
        "| flushing | hit rate | requests |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {rate:.0%} | {n:,} |" for label, rate, n in sqlite["hits"]],
        "",
        "## CSV download memory (SQLite, tracemalloc peak while streaming)",
        "",
        "| download | rows | peak memory (MiB) | seconds |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| `{url}` | {rows:,} | {peak:.1f} | {secs:.1f} |"
            for url, rows, peak, secs in sqlite["downloads"]
        ],
        "",
        f"## Requests per second over HTTP (wrk -t2 -c8, {seconds} s each)",
        "",
        "gunicorn with 2 workers, each keeping its database connection between requests "
        "(`CONN_MAX_AGE` 60 s; the rows that open one per request show what that saves); "
        "Datasette on the same SQLite file, on its table view of the same rows (50 a page, "
        "newest first; a search is its `search_text__contains`).",
    ]
    for (page, table), rows in zip(EQUIVALENTS, http.values(), strict=True):
        theirs = rows[-1][1]
        lines += [
            "",
            f"`{page}` against Datasette's `{table}`",
            "",
            "| server | requests/s | vs Datasette | median latency | completed | errors |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *[
                f"| {label} | {rate:,.1f} | {rate / theirs:.1f}× | {p50} | {done:,} | {problems} |"
                for label, rate, p50, done, problems in rows
            ],
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per page")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench-public-site.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.agreements, options.repeat)
        return
    from bench.imports import fresh_postgresql

    DATA.mkdir(parents=True, exist_ok=True)
    database = DATA / f"public-{options.agreements}.sqlite3"
    postgresql = fresh_postgresql("coop_bench_public")
    sqlite = run_child(f"sqlite:///{database}", options.agreements, options.repeat)
    on_postgresql = run_child(postgresql, options.agreements, options.repeat)
    http = http_comparison(database, postgresql, options.seconds)
    # kept, so that a report that fails to render does not cost the run
    (DATA / "public-site-results.json").write_text(json.dumps([sqlite, on_postgresql, http]))
    text = report(options.agreements, sqlite, on_postgresql, http, options.seconds)
    Path(options.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
