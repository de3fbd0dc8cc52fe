"""A lookup for long lists of ids: field__among=ids is field__in=ids, sent as one parameter.

Django's __in sends each value as its own parameter, and prepares each in Python: for the
chunks of 2,000 records an export reads, that costs more than the query. __among passes the
ids whole, as the text of a JSON array on SQLite and of an array on PostgreSQL. They must be
integers (they are not prepared by the field). Pass a dict's keys or a set rather than a list:
Django's query builder walks a list or tuple item by item, and the others whole.
"""

from __future__ import annotations

import json

from django.db import models
from django.db.models.lookups import In


class Among(models.Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):  # other databases: Django's own __in
        return In(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs)]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = "{" + ",".join(map(str, self.rhs)) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]


models.Field.register_lookup(Among)
models.ForeignObject.register_lookup(Among)  # its lookups are its own, not Field's
