"""Requests no page can serve, refused before any view or database sees them, and a clear
answer when the database is too busy to take a write."""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpResponse, HttpResponseBadRequest

NUL_REFUSAL = (
    "This address or form holds a NUL character (\\0), which no page of this site accepts. "
    "Remove it and try again."
)


def _holds_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values)


class RefuseNulCharactersMiddleware:
    """NUL is never meaningful in a path, a query or a form field, and PostgreSQL refuses it
    in any text it stores or compares: one check here instead of one in every filter."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or _holds_nul(request.GET.lists())
            or (request.method == "POST" and _holds_nul(request.POST.lists()))
        ):
            return HttpResponseBadRequest(NUL_REFUSAL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


DATABASE_BUSY = (
    "The database is busy writing a large import, so nothing was saved. "
    "Go back and save again in a minute."
)


def database_busy(error: Exception) -> bool:
    """SQLite's answer to a writer that waited its whole timeout for another's transaction."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


class DatabaseBusyMiddleware:
    """On SQLite one transaction writes at a time: a save that waited out the timeout behind a
    long import gets a page that says so and when to retry, not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        response = HttpResponse(DATABASE_BUSY, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
