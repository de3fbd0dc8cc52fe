"""django-import-export's temporary storage, kept in the database as an ImportBatch.

Between an upload's preview and its confirmation any server process can read it: nothing
lives in one process's memory or temporary folder. A batch's name is signed, so a name
cannot be guessed or altered in the confirm form.
"""

from __future__ import annotations

from django.core import signing
from import_export.tmp_storages import BaseStorage

from curation.models import ImportBatch
from curation.spreadsheets.formats import SpreadsheetError

SALT = "curation.import-batch"


class ImportBatchStorage(BaseStorage):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.model_name = kwargs.get("model_name", "")

    def save(self, data) -> None:
        data = data.encode("utf-8") if isinstance(data, str) else data
        batch = ImportBatch.objects.create(model_name=self.model_name, filename="", data=data)
        self.name = signing.dumps(batch.pk, salt=SALT)
        ImportBatch.discard_unconfirmed()

    def read(self) -> bytes:
        batch = self.batch()
        if batch.state == ImportBatch.State.FAILED:
            raise SpreadsheetError(
                "This upload was not imported, and nothing of it was written: "
                f"{batch.summary.get('error', '')} Upload the file again."
            )
        if batch.state != ImportBatch.State.PREVIEWED:
            raise SpreadsheetError(
                "This upload was already imported or discarded: upload the file again."
            )
        return bytes(batch.data)

    def remove(self) -> None:
        """The file goes once imported or refused (the batch marks that); the batch stays."""

    def batch(self) -> ImportBatch:
        try:
            pk = signing.loads(self.name or "", salt=SALT)
        except signing.BadSignature:
            raise SpreadsheetError("This upload is unknown: upload the file again.") from None
        batch = ImportBatch.objects.filter(pk=pk).first()
        if batch is None:
            raise SpreadsheetError("This upload is unknown: upload the file again.")
        return batch
