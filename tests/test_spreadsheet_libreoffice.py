"""Sheets opened and re-saved by LibreOffice Calc (headless) still import as all unchanged."""

import shutil
import subprocess

import pytest

from curation.models import Agreement, Citation, Organization, Project, Source
from tests.test_spreadsheet_roundtrip import exported, planned

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    not SOFFICE, reason="LibreOffice Calc is missing: apt-get install libreoffice-calc"
)
MODELS = [Source, Organization, Agreement, Project, Citation]
# Calc's CSV filter: comma, double quote, UTF-8, from line 1, special numbers not detected
# (the defaults of its import dialog), quoted cells kept as text.
CSV_FILTER = "44,34,76,1,,0,true,false"


def resave(tmp_path, file_format: str) -> dict:
    originals = tmp_path / "originals"
    originals.mkdir()
    for model in MODELS:
        (originals / f"{model._meta.model_name}.{file_format}").write_bytes(
            exported(model, file_format)
        )
    target = {
        "xlsx": "xlsx:Calc MS Excel 2007 XML",
        "csv": f"csv:Text - txt - csv (StarCalc):{CSV_FILTER}",
    }[file_format]
    command = [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo"]
    if file_format == "csv":
        command.append(f"--infilter=CSV:{CSV_FILTER}")
    resaved = tmp_path / "resaved"
    subprocess.run(
        [*command, "--convert-to", target, "--outdir", str(resaved)]
        + sorted(str(path) for path in originals.iterdir()),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {
        model: (
            (originals / f"{model._meta.model_name}.{file_format}").read_bytes(),
            (resaved / f"{model._meta.model_name}.{file_format}").read_bytes(),
        )
        for model in MODELS
    }


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_sheet_resaved_by_libreoffice_imports_as_all_unchanged(seed, tmp_path, file_format):
    for model, (original, resaved) in resave(tmp_path, file_format).items():
        assert resaved != original  # Calc did write its own file
        plan = planned(model, resaved, file_format)
        assert not plan.problems and not plan.errors, (model, plan.problems, plan.errors[:3])
        assert plan.counts["unchanged"] == model.objects.count() > 0, (model, plan.counts)
