"""A consistent copy of the database, taken while the app keeps serving and saving.

SQLite: the online backup API copies a snapshot page by page (writers are not stopped, and
the copy is checked with PRAGMA integrity_check). PostgreSQL: pg_dump's custom format, one
snapshot transaction. Restoring is described in the README.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = "Write a consistent copy of the database (SQLite backup API or pg_dump) to PATH."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Where to write the copy (default: backups/coop-<date and time>.sqlite3 "
            "or .pgdump beside manage.py).",
        )

    def handle(self, *args, path=None, **options):
        suffix = {"sqlite": "sqlite3", "postgresql": "pgdump"}.get(connection.vendor)
        if suffix is None:
            raise CommandError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        target = Path(path or settings.BASE_DIR / "backups" / f"coop-{stamp}.{suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise CommandError(f"{target} exists already; choose another path.")
        partial = target.with_name(target.name + ".partial")
        try:
            if connection.vendor == "sqlite":
                self._sqlite(partial)
            else:
                self._postgresql(partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(target)  # a backup file is either whole or absent
        self.stdout.write(f"Backup written: {target} ({target.stat().st_size:,} bytes)")

    def _sqlite(self, target: Path) -> None:
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
            (result,) = copy.execute("PRAGMA integrity_check").fetchone()
        finally:
            copy.close()
        if result != "ok":
            raise CommandError(f"The copy failed its integrity check: {result}")

    def _postgresql(self, target: Path) -> None:
        database = connection.settings_dict
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
        for option, key in [("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")]:
            if database.get(key):
                command.append(f"{option}={database[key]}")
        command.append(database["NAME"])
        environment = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
        result = subprocess.run(command, env=environment, capture_output=True, text=True)
        if result.returncode:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
