"""The slow paths of issue 17, each against a baseline measured in the same run; writes
docs/bench-slow-paths.md.

    make bench-slow-paths       (or: .venv/bin/python bench/slow_paths.py)

Each database (a fresh SQLite file in WAL mode, a fresh PostgreSQL database) runs in its own
process:
  unknown    preview (read, check, suggest) of a 20,000-row agreement sheet that names 1,000
             organizations nobody has recorded, against 10,000 recorded ones; the baseline is
             the suggestion step as it was (difflib over every name), timed on 50 of the 1,000
             names and scaled to 1,000
  verify     the admin's bulk Verify of 2,000 agreements in review (services.verify_records);
             the baseline verifies another 2,000 one by one (services.verify_record), as the
             action did before
  citations  preview and confirm of a sheet of 2,000 citations quoting one long source; the
             baseline is the same with the source's folded text computed for every quote,
             timed on 200 citations and scaled to 2,000
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / ".data"


from bench.imports import fresh_postgresql  # noqa: E402  (after the path is set)


def setup(url: str) -> None:
    os.environ.update(DATABASE_URL=url, DJANGO_DEBUG="0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def csv_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def run_unknown() -> dict:
    from curation.models import Agreement, Organization
    from curation.models.references import allocate_references
    from curation.resources import RESOURCES
    from curation.spreadsheets import importing
    from curation.text import fold_for_search

    words = ["Institute", "Centre", "Laboratory", "Academy", "Agency", "Foundation"]
    fields = ["Physics", "Energy", "Biology", "Space", "Materials", "Oceans", "Climate"]
    names = [f"{words[n % 6]} of {fields[n % 7]} No. {n}" for n in range(10_000)]
    organizations = [
        Organization(reference=reference, name=name, kind="research_institute", country="VN")
        for reference, name in zip(
            allocate_references(Organization, len(names)), names, strict=True
        )
    ]
    for organization in organizations:
        organization.update_derived_fields()
    Organization.objects.bulk_create(organizations, batch_size=2000)
    unknown = [f"{words[n % 6]} of {fields[n % 7]} Nr. {n}x" for n in range(1_000)]
    rows = [
        [
            f"Agreement {n}",
            "Contract",
            "2001",
            f"{unknown[n % 1000]} (signatory); {names[n % 10_000]} (signatory)",
        ]
        for n in range(20_000)
    ]
    data = csv_bytes(["title_en", "kind", "date_signed", "parties"], rows)
    resource = RESOURCES[Agreement]
    seconds, plan = timed(importing.preview, resource, importing.read_table(data, "sheet.csv"))
    assert len(plan.lookups.unknown_organizations) == 1000, len(plan.lookups.unknown_organizations)
    assert len(plan.unknown_organizations) == importing.SHOWN_UNKNOWN
    folded = {fold_for_search(name): name for name in names}
    sample = sorted(plan.lookups.unknown_organizations)[:50]
    baseline, _ = timed(
        lambda: [
            difflib.get_close_matches(fold_for_search(u), list(folded), n=3, cutoff=0.6)
            for u in sample
        ]
    )
    found = sum(bool(s) for s in plan.unknown_organizations.values())
    return {
        "seconds": seconds,
        "baseline": baseline * 1000 / len(sample),
        "suggested": f"{found} of {len(plan.unknown_organizations)} shown names",
    }


def in_review_agreements(count: int):
    from curation.demo import generate_agreements
    from curation.models import Agreement, Status

    generate_agreements(count, seed=3)
    Agreement.objects.update(status=Status.IN_REVIEW, verified_by=None, verified_at=None)
    return Agreement.objects.order_by("reference")


def run_verify() -> dict:
    from curation import services
    from curation.accounts import REVIEWERS, ensure_user
    from curation.models import Agreement, Status

    records = in_review_agreements(4000)
    references = list(records.values_list("reference", flat=True))
    reviewer = ensure_user("bench-reviewer", [REVIEWERS])
    first = Agreement.objects.filter(reference__in=references[:2000])
    second = Agreement.objects.filter(reference__in=references[2000:])
    baseline, (done_one_by_one, _) = timed(
        services.apply_to_each, first, services.verify_record, by=reviewer
    )
    seconds, (done, refused) = timed(services.verify_records, second, by=reviewer)
    assert len(done) == len(done_one_by_one) == 2000 and not refused, refused[:1]
    assert Agreement.objects.filter(status=Status.VERIFIED).count() == 4000
    return {"seconds": seconds, "baseline": baseline}


def run_citations() -> dict:
    from curation import text
    from curation.accounts import EDITORS, ensure_user
    from curation.models import Citation, Source
    from curation.resources import RESOURCES
    from curation.spreadsheets import importing

    records = list(in_review_agreements(4000).values_list("reference", flat=True))
    sentences = [f"Paragraph {n}: the partners agreed on item {n * 7}." for n in range(4000)]
    source = Source.objects.create(
        title="A long report", captured_text=" ".join(sentences), language="en"
    )
    editor = ensure_user("bench-editor", [EDITORS])
    resource = RESOURCES[Citation]

    def preview_and_confirm(first: int, count: int) -> int:
        rows = [
            [records[n], source.reference, sentences[n], "title"]
            for n in range(first, first + count)
        ]
        data = csv_bytes(["record", "source", "quote", "supports"], rows)
        plan = importing.preview(resource, importing.read_table(data, "citations.csv"))
        return importing.apply(plan, by=editor, filename="citations.csv")["new"]

    cached = text._folded_source
    text._folded_source = text._fold_for_matching  # as before: folded again for every quote
    try:
        baseline, baseline_new = timed(preview_and_confirm, 0, 200)
    finally:
        text._folded_source = cached
    seconds, new = timed(preview_and_confirm, 2000, 2000)
    assert (new, baseline_new) == (2000, 200)
    assert Citation.objects.filter(source=source, quote_found=True).count() == 2200
    return {"seconds": seconds, "baseline": baseline * 10}


def child(database: str) -> None:
    setup(database)
    from django.core.management import call_command

    results = {}
    for name, run in (
        ("unknown", run_unknown),
        ("verify", run_verify),
        ("citations", run_citations),
    ):
        call_command("flush", "--no-input", verbosity=0)
        results[name] = run()
    print(json.dumps(results))


def measure(database: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", database], capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode:
        raise SystemExit(f"{database} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child")
    parser.add_argument("--output", default=str(ROOT / "docs" / "bench-slow-paths.md"))
    options = parser.parse_args()
    if options.child:
        return child(options.child)
    DATA.mkdir(parents=True, exist_ok=True)
    sqlite = f"sqlite:///{Path(tempfile.mkdtemp(dir=DATA)) / 'slow.sqlite3'}"
    results = {
        "SQLite": measure(sqlite),
        "PostgreSQL": measure(fresh_postgresql("coop_bench_slow")),
    }
    labels = {
        "unknown": "preview of 20,000 rows naming 1,000 unknown organizations, 10,000 recorded",
        "verify": "bulk Verify of 2,000 agreements",
        "citations": "preview + confirm of 2,000 citations of one long source",
    }
    lines = [
        "# Slow paths of imports and review",
        "",
        "Command: `make bench-slow-paths` (bench/slow_paths.py), on this project's shared "
        "2-core machine. Each database runs in its own process; each row's baseline is "
        "measured in the same process, so compare within a row. The targets (issue 17) are "
        "under 10 s for each, on both databases.",
        "",
        "| path | database | coop (s) | baseline (s) | baseline / coop |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, label in labels.items():
        for database, result in results.items():
            row = result[name]
            lines.append(
                f"| {label} | {database} | {row['seconds']:.1f} | {row['baseline']:.1f} | "
                f"{row['baseline'] / row['seconds']:.1f}× |"
            )
    lines += [
        "",
        "Baselines: for the preview, the old suggestion step alone (difflib against every "
        "recorded name), timed on 50 unknown names and scaled to 1,000; for Verify, the same "
        "number of other agreements verified one by one as the action did before; for the "
        "citations, the same sheet with the source's text folded again for every quote, timed "
        "on 200 citations and scaled to 2,000.",
        "",
        f"Suggestions: {results['SQLite']['unknown']['suggested']} have a close existing name "
        "(each unknown name is a recorded one with a changed suffix).",
    ]
    Path(options.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
