"""Optimistic locking: every save raises a row's version, so a save made from an older copy
of the row (an admin form opened before someone else saved, a sheet exported before an edit)
can be recognised and refused instead of silently overwriting the other person's work."""

from __future__ import annotations

from django.db import models

# Columns a person did not type: left out when telling what someone else changed.
_DERIVED = {
    "version",
    "updated_at",
    "search_text",
    "search_title",
    "text_sha256",
    "lineage_country",
    "quote_found",
    "quote_start",
    "quote_end",
}


class Versioned(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = (
                type(self)
                ._base_manager.filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            self.version = (stored or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)

    def stored_version(self, *, lock: bool = False) -> int | None:
        rows = type(self)._base_manager.filter(pk=self.pk)
        if lock:
            rows = rows.select_for_update()
        return rows.values_list("version", flat=True).first()

    def changes_since(self, version: int) -> list[str]:
        """What was saved after version, one line per save: when, who, which values changed."""
        lines = []
        for entry in self.history.filter(version__gt=version).order_by("version"):
            before = entry.prev_record
            changed = []
            if before is not None:
                for change in entry.diff_against(before).changes:
                    if change.field not in _DERIVED:
                        label = self._meta.get_field(change.field).verbose_name
                        changed.append(f"{label}: “{change.old}” → “{change.new}”")
            who = entry.history_user or "an import or script"
            what = "; ".join(filter(None, [entry.history_change_reason, *changed]))
            lines.append(f"{entry.history_date:%Y-%m-%d %H:%M} UTC, {who}: {what or 'saved'}")
        return lines
