"""Admin forms that refuse a stale save: one made from a copy someone else has saved since."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


class VersionCheckedForm(forms.ModelForm):
    """Carries the version the editor loaded; clean() compares it with the stored one.

    The admin validates and saves inside one transaction, and the stored version is read
    with SELECT ... FOR UPDATE (SQLite: the transaction already holds the write lock), so no
    other save can slip in between the check and the save.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if not self.instance.pk or loaded is None:
            return cleaned
        current = self.instance.stored_version(lock=True)
        if current is not None and current != loaded:
            # A second save, made after reading what changed, is a deliberate choice.
            self.data = self.data.copy()
            self.data[self.add_prefix("loaded_version")] = current
            raise ValidationError(
                [
                    f"Not saved: someone else saved this {self.instance._meta.verbose_name} "
                    "after you opened it. Their changes:",
                    *self.instance.changes_since(loaded),
                    "Your edits are still in the form below. Compare them with the changes "
                    "above; saving again will replace those changes with what the form holds.",
                ],
                code="stale",
            )
        return cleaned


class VersionCheckedAdminMixin:
    form = VersionCheckedForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        shown = {name for _, options in fieldsets for name in options["fields"]}
        if obj is None or "loaded_version" in shown:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "loaded_version"]}), *rest]
