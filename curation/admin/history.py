"""The admin's history pages in words a curator reads: labels, not codes."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

NO_VALUE = "—"


class LabelledChanges(HistoricalRecordContextHelper):
    """A change shows what a curator reads: choice labels ("In review → Verified"), "—" for
    no value (not "None" or "Deleted user (pk=None)"), times in the site's format."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            return NO_VALUE
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return super().prepare_delta_change_value(change, value)


class LabelledHistoryAdmin(SimpleHistoryAdmin):
    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledChanges(self.model, historical_record)
