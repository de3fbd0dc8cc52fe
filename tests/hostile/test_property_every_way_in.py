"""Property: any text and any number, put into a record through the admin's form and through
an import, is refused by both with a message, or stored the same by both; and what is stored
is exported (CSV, XLSX, JSON, the Atom feed) into files that re-open, and re-import unchanged.
"""

from xml.etree import ElementTree

import tablib
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from curation.accounts import ensure_user
from curation.cells import neutralise
from curation.models import Agreement, Project, Status
from curation.resources import RESOURCES
from curation.roles import EDITORS
from curation.spreadsheets import importing
from curation.spreadsheets.formats import CSV, SpreadsheetError
from tests.hostile.test_rules_on_every_way_in import project_form
from tests.spreadsheets import exported, planned
from tests.test_admin_workflow import agreement_form

# Any character an HTTP form can carry (a lone surrogate cannot be encoded; the JSON reader
# refuses it, see test_rules_on_every_way_in), weighted towards the awkward ones.
AWKWARD = "\x00\x07\x0b\x1b\x7f\u00a0\u2028\u2029\u3000\ufeff\ufffe\uffff'=+-@\t\r\n \"<&;"
TEXT = st.text(
    st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(AWKWARD)), max_size=24
)
TEXT_COLUMNS = ["title_en", "title_original", "place", "summary"]
AMOUNT = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text("0123456789.,-+eE \u0661\uff11", max_size=20),
)
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class EveryWayInTest(TestCase):
    def setUp(self):
        self.editor = ensure_user("property-editor", [EDITORS])
        self.client = Client()
        self.client.force_login(self.editor)

    def through_form(self, model: str, data: dict):
        """The record the admin's add form saved, or the form's messages (nothing saved)."""
        with transaction.atomic():
            response = self.client.post(reverse(f"admin:curation_{model}_add"), data)
            if response.status_code == 302:
                record = RESOURCES[Agreement if model == "agreement" else Project].model
                saved = record.objects.order_by("-pk").first()
                transaction.set_rollback(True)  # the import of the same row runs next
                return saved, []
        if response.status_code == 400:  # a NUL anywhere in a request: refused before the form
            return None, [response.content.decode()]
        form = response.context["adminform"].form
        return None, [m for errors in form.errors.values() for m in errors]

    def through_import(self, model, cells: dict):
        sheet = tablib.Dataset([neutralise(v) for v in cells.values()], headers=list(cells))
        try:
            plan = planned(model, CSV().export_data(sheet), "csv")
        except SpreadsheetError as refusal:  # a file no spreadsheet program writes (NUL)
            return None, [str(refusal)]
        if not plan.can_apply:
            return None, [str(error) for error in plan.errors] + plan.problems
        importing.apply(plan, by=self.editor, filename="property.csv")
        return model.objects.order_by("-pk").first(), []

    def assert_exports_reimport_unchanged(self, record) -> None:
        queryset = type(record).objects.filter(pk=record.pk)
        for file_format in ("csv", "xlsx", "json"):
            data = exported(type(record), file_format, queryset)
            plan = planned(type(record), data, file_format)
            actions = [(row.action, row.changes, [str(e) for e in row.errors]) for row in plan.rows]
            assert actions == [("unchanged", {}, [])], (file_format, actions)
        type(record).objects.filter(pk=record.pk).update(status=Status.VERIFIED)
        feed = self.client.get(reverse("curation:feed"))
        assert feed.status_code == 200
        ElementTree.fromstring(feed.content)  # well-formed XML, whatever the text

    @EXAMPLES
    @given(st.fixed_dictionaries({column: TEXT for column in TEXT_COLUMNS}))
    def test_any_text(self, texts):
        cells = {**texts, "kind": "Contract"}
        from_form, form_refusals = self.through_form(
            "agreement", agreement_form(**texts, kind="contract")
        )
        from_sheet, sheet_refusals = self.through_import(Agreement, cells)
        assert (from_form is None) == (from_sheet is None), (form_refusals, sheet_refusals)
        if from_sheet is None:
            assert all(form_refusals) and all(sheet_refusals)
            return
        for column in TEXT_COLUMNS:
            assert getattr(from_form, column) == getattr(from_sheet, column), column
        self.assert_exports_reimport_unchanged(from_sheet)

    @EXAMPLES
    @given(AMOUNT)
    def test_any_amount(self, amount):
        from_form, form_refusals = self.through_form(
            "project", project_form(budget_amount=amount, budget_currency="VND")
        )
        cells = {
            "title_en": "Joint laboratory",
            "kind": "Facility",
            "budget_amount": amount,
            "budget_currency": "VND",
        }
        from_sheet, sheet_refusals = self.through_import(Project, cells)
        assert (from_form is None) == (from_sheet is None), (form_refusals, sheet_refusals)
        if from_sheet is None:
            assert all(form_refusals) and all(sheet_refusals)
            return
        assert from_form.budget_amount == from_sheet.budget_amount
        self.assert_exports_reimport_unchanged(from_sheet)
