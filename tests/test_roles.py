from django.contrib.auth.models import Group

from curation.roles import EDITORS, REVIEWERS


def test_groups_exist_after_migrate_with_their_permissions(db):
    editors = set(Group.objects.get(name=EDITORS).permissions.values_list("codename", flat=True))
    reviewers = set(
        Group.objects.get(name=REVIEWERS).permissions.values_list("codename", flat=True)
    )
    assert {"add_agreement", "change_agreement", "add_citation", "change_source"} <= editors
    assert not {"verify_agreement", "verify_project", "retract_agreement"} & editors
    assert {
        "verify_agreement",
        "verify_project",
        "retract_agreement",
        "retract_project",
    } <= reviewers
    assert "delete_agreement" not in editors | reviewers


def test_editor_and_reviewer_permissions_as_users(alice, rita):
    assert alice.has_perm("curation.change_agreement")
    assert not alice.has_perm("curation.verify_agreement")
    assert rita.has_perm("curation.verify_project")
