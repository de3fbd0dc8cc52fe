"""Benchmark of the public site on 100,000 verified agreements; writes docs/bench-public-site.md.

    make bench-public            (or: .venv/bin/python bench/public_site.py --agreements 100000)

1. In-process: median time of filtered list pages and a detail page, cold (page cache off)
   and warm (cache on), with the Django test client.
   Then the page cache's hit rate while an editor saves a draft once a second.
2. CSV download: peak Python memory (tracemalloc) while streaming ~10% and 100% of the rows.
3. Over HTTP: wrk against gunicorn (2 workers) and against Datasette serving the same SQLite
   file, on the equivalent filtered list, one after the other on this machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
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
    "/agreements/?country=RU&year_min=2000",
    "/agreements/?country=RU&country=FR&match=all",
    "/agreements/?q=nuclear+russia",
    "/agreements/?field=energy&kind=memorandum_of_understanding&sort=title",
    "/agreements/?year_min=1990&year_max=1999&page=3",
]
HIT_SECONDS = 20
# The same rows in both tools: verified memoranda signed from 2000 on, 50 a page, newest first.
OURS = "/agreements/?kind=memorandum_of_understanding&year_min=2000"
DATASETTE = (
    "/bench/curation_agreement?status=verified&kind=memorandum_of_understanding"
    "&date_signed__gte=2000&_sort_desc=date_signed&_size=50"
)


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_DEBUG"] = "0"  # as in production: no query log held in memory
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # plain http on 127.0.0.1, no TLS proxy
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    import django

    django.setup()


def build(database: Path, agreements: int) -> None:
    from django.core.management import call_command

    from curation.models import Agreement

    call_command("migrate", verbosity=0)
    missing = agreements - Agreement.objects.count()
    if missing > 0:
        call_command("generate_demo", agreements=missing)


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
    for url in [*LIST_URLS, detail, "/"]:
        settings.PUBLIC_CACHE_SECONDS = 0
        cold = median_ms(client, url, repeat)
        settings.PUBLIC_CACHE_SECONDS = 600
        cache.clear()
        warm = median_ms(client, url, repeat)
        rows.append((url, cold, warm))
    return rows


def hit_rates(seconds: float) -> list[tuple[str, float, int]]:
    """Share of list and detail requests served from the page cache while an editor saves a
    draft once a second: as coop flushes now (only writes the public can see), and, in the
    same run, as before (every write flushed)."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from curation import services
    from curation.accounts import ensure_user
    from curation.models import Agreement, Publication
    from curation.roles import EDITORS

    settings.PUBLIC_CACHE_SECONDS = 600
    client = Client()
    editor = ensure_user("bench-editor", [EDITORS])
    draft = Agreement(title_en="A draft being edited", kind="contract")
    services.save_record(draft, by=editor)
    detail = Agreement.objects.public().order_by("reference").first().get_absolute_url()
    rows = []
    for label, every_write_flushes in (
        ("only writes the public can see flush (coop now)", False),
        ("every write flushes (coop before)", True),
    ):
        cache.clear()
        hits = requests = 0
        now = time.perf_counter()
        end, next_save = now + seconds, now + 1
        while time.perf_counter() < end:
            for url in [*LIST_URLS, detail, "/"]:
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                requests += 1
                hits += len(queries) == 1  # a cached page costs the generation's query only
            if time.perf_counter() >= next_save:
                draft.summary = f"Edited after {requests} requests"
                services.save_record(draft, by=editor)
                if every_write_flushes:
                    Publication.bump()
                next_save += 1
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
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            subprocess.run(
                ["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/"],
                check=True,
                timeout=5,
            )
            return process
        except subprocess.CalledProcessError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"server on port {port} did not start: {' '.join(command)}")


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


def http_comparison(database: Path, seconds: int) -> list[tuple]:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    results = []
    for label, cache_seconds in [("coop, page cache on", "600"), ("coop, page cache off", "0")]:
        server = serve(
            [str(VENV_BIN / "gunicorn"), "coop.wsgi", "-w", "2", "-b", "127.0.0.1:8101"],
            8101,
            {**env, "PUBLIC_CACHE_SECONDS": cache_seconds},
        )
        try:
            results.append((label, *wrk(f"http://127.0.0.1:8101{OURS}", seconds)))
        finally:
            server.terminate()
            server.wait()
    linked = DATA / "bench.db"  # Datasette names the database after the file
    linked.unlink(missing_ok=True)
    linked.symlink_to(database)
    # Facet suggestions off: they are extra queries our page does not run; counts stay on.
    server = serve(
        [
            str(VENV_BIN / "datasette"),
            "serve",
            "-i",
            str(linked),
            "-p",
            "8102",
            "--setting",
            "num_sql_threads",
            "2",
            "--setting",
            "suggest_facets",
            "off",
            "--setting",
            "sql_time_limit_ms",
            "30000",
        ],
        8102,
        env,
    )
    try:
        results.append(
            ("Datasette 0.65 (immutable file)", *wrk(f"http://127.0.0.1:8102{DATASETTE}", seconds))
        )
    finally:
        server.terminate()
        server.wait()
    return results


def report(agreements, pages, downloads, http, seconds, hits=()) -> str:
    lines = [
        "# Public site benchmark",
        "",
        f"{agreements:,} verified agreements from `generate_demo` (2–3 parties, 1–3 fields and a "
        "citation each), SQLite in WAL mode, on this project's 2-core machine.",
        "Command: `make bench-public`. Machines here are shared and noisy: compare rows of the "
        "same run, not runs.",
        "",
        "## Page times (Django test client, median of repeated requests)",
        "",
        "| page | cold, cache off (ms) | warm, cached (ms) |",
        "| --- | ---: | ---: |",
        *[f"| `{url}` | {cold:.1f} | {warm:.1f} |" for url, cold, warm in pages],
        "",
        "## Page cache hit rate while an editor saves a draft once a second",
        "",
        "The list pages above, a detail page and the home page, requested in turn for "
        f"{HIT_SECONDS} s each way (Django test client, cache on).",
        "",
        "| flushing | hit rate | requests |",
        "| --- | ---: | ---: |",
        *[f"| {label} | {rate:.0%} | {requests:,} |" for label, rate, requests in hits],
        "",
        "## CSV download memory (tracemalloc peak while streaming)",
        "",
        "| download | rows | peak memory (MiB) | seconds |",
        "| --- | ---: | ---: | ---: |",
        *[
            f"| `{url}` | {rows:,} | {peak:.1f} | {secs:.1f} |"
            for url, rows, peak, secs in downloads
        ],
        "",
        f"## Requests per second over HTTP (wrk -t2 -c8, {seconds} s each)",
        "",
        f"Our list: `{OURS}`; Datasette's table view of the same rows: `{DATASETTE}`.",
        "",
        "| server | requests/s | median latency | requests completed | errors |",
        "| --- | ---: | ---: | ---: | --- |",
        *[
            f"| {label} | {rate:,.1f} | {p50} | {done:,} | {problems} |"
            for label, rate, p50, done, problems in http
        ],
    ]
    if http:
        ours, datasette = http[0][1], http[-1][1]
        lines += [
            "",
            f"Ratio, coop (cached) to Datasette: {ours / datasette:.1f}×; "
            f"coop uncached to Datasette: {http[1][1] / datasette:.2f}×.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per server")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench-public-site.md"))
    options = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    database = DATA / f"public-{options.agreements}.sqlite3"
    setup_django(database)
    build(database, options.agreements)
    pages = page_times(options.repeat)
    hits = hit_rates(HIT_SECONDS)
    downloads = download_memory()
    http = http_comparison(database, options.seconds)
    text = report(options.agreements, pages, downloads, http, options.seconds, hits)
    Path(options.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
