import sys
import time

from django.core.management.base import BaseCommand, CommandError

from curation.demo import generate_agreements


class Command(BaseCommand):
    help = "Create synthetic verified agreements (parties, fields, found citations) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=int, required=True, help="how many to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for repeatable data")

    def handle(self, *args, agreements: int, seed: int, **options):
        if agreements < 1:
            raise CommandError("--agreements must be at least 1.")
        started = time.monotonic()

        def progress(done: int) -> None:
            width = 40
            filled = width * done // agreements
            rate = done / max(time.monotonic() - started, 1e-9)
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{agreements:,} "
                f"({rate:,.0f} agreements/s)"
            )
            sys.stderr.flush()

        generate_agreements(agreements, seed=seed, progress=progress)
        sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Created {agreements:,} agreements in {elapsed:.1f} s.")
        )
