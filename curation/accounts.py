"""The demo accounts that `make run` prints: one editor, one reviewer, one administrator."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from curation.roles import EDITORS, REVIEWERS

# Local demonstration only: the command that installs them refuses to run without DEBUG.
DEMO_ACCOUNTS = [
    ("editor", "editor-demo-2025", [EDITORS], False),
    ("reviewer", "reviewer-demo-2025", [REVIEWERS], False),
    ("admin", "admin-demo-2025", [], True),
]


def ensure_user(username: str, groups: list[str], *, superuser: bool = False):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = True
    user.is_superuser = superuser
    user.save()
    user.groups.set(Group.objects.filter(name__in=groups))
    return user
