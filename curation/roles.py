"""The Editors and Reviewers groups and what each may do."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import Group, Permission

EDITORS = "Editors"
REVIEWERS = "Reviewers"

_CURATED = ["source", "organization", "fieldofcooperation", "agreement", "project"]
_LINKS = ["citation", "agreementparty", "agreementrelation", "projectparticipant"]

EDITOR_PERMISSIONS = (
    [f"{action}_{model}" for model in _CURATED for action in ("view", "add", "change")]
    + [f"{action}_{model}" for model in _LINKS for action in ("view", "add", "change", "delete")]
    + ["delete_source", "delete_organization", "delete_fieldofcooperation"]
)
# Curators (editors and reviewers) import; everyone who can view a list can export it.
IMPORT_PERMISSIONS = [
    f"import_{model}" for model in ["source", "organization", "agreement", "project", "citation"]
]
REVIEWER_PERMISSIONS = (
    EDITOR_PERMISSIONS
    + IMPORT_PERMISSIONS
    + [
        "verify_agreement",
        "verify_project",
        "retract_agreement",
        "retract_project",
    ]
)


def ensure_groups(**kwargs) -> None:
    """Create or update the groups after every migrate; runs once curation's permissions exist."""
    groups = [(EDITORS, EDITOR_PERMISSIONS + IMPORT_PERMISSIONS), (REVIEWERS, REVIEWER_PERMISSIONS)]
    for name, codenames in groups:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="curation", codename__in=codenames)
        )


def verifier_roles() -> dict[int, str]:
    """What verified a record, as public data names it: a role, never a person. Only holders of
    the verify permission verify, so everyone but an administrator verified as a reviewer."""
    from django.contrib.auth import get_user_model

    administrators = get_user_model().objects.filter(is_superuser=True).values_list("pk", flat=True)
    return defaultdict(lambda: "reviewer", dict.fromkeys(administrators, "administrator"))
