"""Helpers for the spreadsheet tests: export and plan a sheet, and the admin's import steps."""

from __future__ import annotations

import html
import io
import re

from django.urls import reverse

from curation.resources import RESOURCES
from curation.spreadsheets import importing
from curation.spreadsheets.formats import FORMATS, format_for


def exported(model, file_format: str, queryset=None) -> bytes:
    """What the library's export gives, written by coop's format."""
    dataset = RESOURCES[model].export(queryset)
    return format_for(f"sheet.{file_format}")().export_data(dataset)


def planned(model, data: bytes, file_format: str, approved=()):
    table = importing.read_table(data, f"sheet.{file_format}")
    return importing.plan(RESOURCES[model], table, set(approved))


def upload(client, data: str | bytes, name: str = "sheet.csv", model: str = "agreement"):
    """The admin's import form posted: the response is the preview page."""
    handle = io.BytesIO(data.encode() if isinstance(data, str) else data)
    handle.name = name
    extension = name.rsplit(".", 1)[-1].lower()
    fmt = (
        [f.EXTENSION for f in FORMATS].index(extension)
        if extension in ("xlsx", "ods", "json")
        else 0
    )
    url = reverse(f"admin:curation_{model}_import")
    return client.post(url, {"import_file": handle, "format": str(fmt), "resource": "0"})


def hidden_fields(page: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S).group()
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in fields}


def approve(client, preview, chosen: dict[str, tuple[str, str]], model: str = "agreement"):
    """Tick unknown organizations on the preview, each with (kind, country)."""
    page = preview.content.decode()
    data = hidden_fields(page, "unknown-organizations")
    names = {value: key.split("-")[1] for key, value in data.items() if key.startswith("name-")}
    data["create_organization"] = [names[name] for name in chosen]
    for name, (kind, country) in chosen.items():
        data[f"kind-{names[name]}"], data[f"country-{names[name]}"] = kind, country
    return client.post(reverse(f"admin:curation_{model}_import_organizations"), data)


def confirm_data(preview) -> dict[str, str]:
    """The confirm form's fields, as the preview page renders them."""
    return {**hidden_fields(preview.content.decode(), "confirm-import"), "confirm": "1"}


def confirm(client, data: dict, model: str = "agreement") -> str:
    """Post the preview's confirm form; the text of the progress page, read to its end."""
    response = client.post(reverse(f"admin:curation_{model}_process_import"), data)
    return b"".join(response.streaming_content).decode()


def export_form(resource_class, file_format: str, **extra) -> dict:
    """The library's export form with every column ticked, in file_format."""
    fmt = [f.EXTENSION for f in FORMATS].index(file_format)
    prefix = resource_class.__name__.lower()
    columns = {f"{prefix}_{name}": "on" for name in resource_class().get_export_order()}
    return {"format": str(fmt), "resource": "0", **columns, **extra}
