"""Sheets opened and re-saved by LibreOffice Calc (headless) still import as all unchanged."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from curation import services
from curation.models import Agreement, Citation, Organization, Project, Source, Status
from tests.conftest import make_agreement
from tests.spreadsheets import exported, planned
from tests.test_admin_workflow import agreement_with_inlines_form

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    not SOFFICE, reason="LibreOffice Calc is missing: apt-get install libreoffice-calc"
)
MODELS = [Source, Organization, Agreement, Project, Citation]
# Calc's CSV filter: comma, double quote, UTF-8, from line 1, special numbers not detected
# (the defaults of its import dialog), quoted cells kept as text.
CSV_FILTER = "44,34,76,1,,0,true,false"
TARGETS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "ods": "ods:calc8",
    "csv": f"csv:Text - txt - csv (StarCalc):{CSV_FILTER}",
}


def convert(tmp_path, sources: list, target: str, outdir) -> None:
    command = [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo"]
    if target == "csv":
        command.append(f"--infilter=CSV:{CSV_FILTER}")
    subprocess.run(
        [*command, "--convert-to", TARGETS[target], "--outdir", str(outdir), *map(str, sources)],
        check=True,
        capture_output=True,
        timeout=300,
    )


def resave(tmp_path, file_format: str, via: str | None = None) -> dict:
    """Each sheet exported, then saved by Calc (through another format first, if via)."""
    originals = tmp_path / "originals"
    originals.mkdir()
    for model in MODELS:
        (originals / f"{model._meta.model_name}.{file_format}").write_bytes(
            exported(model, file_format)
        )
    sources = sorted(originals.iterdir())
    if via:
        convert(tmp_path, sources, via, tmp_path / "via")
        sources = sorted((tmp_path / "via").iterdir())
    convert(tmp_path, sources, file_format, tmp_path / "resaved")
    return {
        model: (
            (originals / f"{model._meta.model_name}.{file_format}").read_bytes(),
            (tmp_path / "resaved" / f"{model._meta.model_name}.{file_format}").read_bytes(),
        )
        for model in MODELS
    }


@pytest.mark.parametrize(
    ("file_format", "via"), [("xlsx", None), ("csv", None), ("ods", None), ("xlsx", "ods")]
)
def test_a_sheet_resaved_by_libreoffice_imports_as_all_unchanged(seed, tmp_path, file_format, via):
    for model, (original, resaved) in resave(tmp_path, file_format, via).items():
        assert resaved != original  # Calc did write its own file
        plan = planned(model, resaved, file_format)
        assert not plan.problems and not plan.errors, (model, plan.problems, plan.errors[:3])
        assert plan.counts["unchanged"] == model.objects.count() > 0, (model, plan.counts)


@pytest.mark.parametrize("file_format", ["xlsx", "ods", "csv"])
def test_a_verified_record_with_multi_line_cells_stays_verified_after_a_round_trip(
    client, alice, rita, eve, tmp_path, file_format
):
    """ "Signed by" typed on two lines in the admin (a textarea sends \\r\\n), exported, re-saved
    by Calc, imported: nothing changes, and the record stays public."""
    agreement = make_agreement(alice)
    client.force_login(eve)
    form = agreement_with_inlines_form(agreement) | {"signed_by": "First signer \r\nSecond signer"}
    client.post(reverse("admin:curation_agreement_change", args=[agreement.pk]), form)
    agreement.refresh_from_db()
    assert agreement.signed_by == "First signer\nSecond signer"  # stored as a sheet carries it
    services.verify_record(agreement, by=rita)
    original = tmp_path / f"agreement.{file_format}"
    original.write_bytes(exported(Agreement, file_format))
    convert(tmp_path, [original], file_format, tmp_path / "resaved")
    resaved = (tmp_path / "resaved" / original.name).read_bytes()
    plan = planned(Agreement, resaved, file_format)
    assert plan.counts["unchanged"] == 1 and not plan.can_apply, (plan.counts, plan.rows)
    agreement.refresh_from_db()
    assert agreement.status == Status.VERIFIED
    assert client.get(agreement.get_absolute_url()).status_code == 200
