"""Public pages cached until the next change to curated data.

A page's cache key holds the Publication generation, which every curation write bumps in its
own transaction: no page outlives a verification, retraction or edit, in any process.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache

from curation.models import Publication


def _key(request) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"public-page:{Publication.current()}:{request.LANGUAGE_CODE}:{path}"


def cached_public_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seconds = settings.PUBLIC_CACHE_SECONDS
        if request.method != "GET" or not seconds or "format" in request.GET:
            return view(request, *args, **kwargs)
        key = _key(request)
        response = cache.get(key)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            if hasattr(response, "add_post_render_callback") and not response.is_rendered:
                response.add_post_render_callback(
                    lambda rendered: cache.set(key, rendered, seconds)
                )
            else:
                cache.set(key, response, seconds)
        return response

    return wrapper
