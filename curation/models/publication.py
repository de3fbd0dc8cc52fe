from __future__ import annotations

from django.db import models


class Publication(models.Model):
    """Two counters, bumped in the same transaction as the change they count, so every
    process sees them move the moment it commits:

    generation  changes that may alter what the public sees: cached public pages are keyed
                on it (a verification, a retraction, an edit of a verified record, a change
                to an organization, a cited source or the vocabulary);
    edits       every curated write, public or not: an import's preview kept for its confirm
                is reused only while no write has happened since.
    """

    generation = models.PositiveBigIntegerField(default=0)
    edits = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"publication generation {self.generation}, {self.edits} edits"

    @classmethod
    def current(cls) -> int:
        """The public generation."""
        return cls.objects.filter(pk=1).values_list("generation", flat=True).first() or 0

    @classmethod
    def locked_current(cls) -> int:
        """The public generation, read in a transaction that no other write can then commit
        before: its row is locked (PostgreSQL); SQLite's transactions here take the write lock
        as they begin (settings: transaction_mode IMMEDIATE)."""
        rows = cls.objects.select_for_update().filter(pk=1).values_list("generation", flat=True)
        return rows.first() or 0

    @classmethod
    def edits_so_far(cls) -> int:
        return cls.objects.filter(pk=1).values_list("edits", flat=True).first() or 0

    @classmethod
    def bump(cls, *, public: bool = True) -> None:
        """Count a write; public: it may change what the public sees (flushes the page cache)."""
        counters = {"edits": models.F("edits") + 1}
        if public:
            counters["generation"] = models.F("generation") + 1
        if not cls.objects.filter(pk=1).update(**counters):
            cls.objects.get_or_create(pk=1, defaults={"generation": int(public), "edits": 1})
