"""The admin's history pages in words a curator reads: labels, not codes."""

from __future__ import annotations

from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper


class LabelledChanges(HistoricalRecordContextHelper):
    """A change to a choice shows its labels ("In review → Verified"), not its codes."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices and not isinstance(value, list):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class LabelledHistoryAdmin(SimpleHistoryAdmin):
    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledChanges(self.model, historical_record)
