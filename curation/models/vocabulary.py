from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from curation.rules import StoredText


class FieldOfCooperation(StoredText, models.Model):
    """A shared term for what cooperation covers: nuclear energy, biotechnology, space, …"""

    name = models.CharField(max_length=100, unique=True)
    name_vi = models.CharField(
        "name in Vietnamese", max_length=100, blank=True, help_text="Shown on the Vietnamese site."
    )
    slug = models.SlugField(max_length=100, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "field of cooperation"
        verbose_name_plural = "fields of cooperation"

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        """The name in language when there is one, else the English name."""
        return self.name_vi if language.split("-")[0] == "vi" and self.name_vi else self.name
