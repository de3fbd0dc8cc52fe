from __future__ import annotations

from django.db import models


class Publication(models.Model):
    """A counter of changes that may alter what the public sees.

    Cached public pages are keyed on it. It is bumped in the same transaction as the change,
    so every process stops serving the old pages the moment the change commits.
    """

    generation = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"publication generation {self.generation}"

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("generation", flat=True).first() or 0

    @classmethod
    def bump(cls) -> None:
        if not cls.objects.filter(pk=1).update(generation=models.F("generation") + 1):
            cls.objects.get_or_create(pk=1, defaults={"generation": 1})
