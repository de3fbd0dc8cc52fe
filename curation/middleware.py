"""Requests no page can serve, refused before any view or database sees them."""

from __future__ import annotations

from django.http import HttpResponseBadRequest

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
