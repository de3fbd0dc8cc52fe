"""The README's table of demo accounts says what each role may do: the groups agree."""

import re
from pathlib import Path

from django.contrib.auth.models import Group

README = Path(__file__).resolve().parent.parent / "README.md"
# Words of the README's "may do" column, and the permission each one promises.
PROMISES = {
    "import": "import_agreement",
    "change records": "change_agreement",
    "verify": "verify_agreement",
    "retract": "retract_agreement",
}


def readme_roles() -> dict[str, str]:
    rows = re.findall(r"^\| `(editor|reviewer)` \| `[^`]+` \| (.+) \|$", README.read_text(), re.M)
    return dict(rows)


def permissions(group: str) -> set[str]:
    return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))


def test_the_readme_promises_what_the_groups_allow(db):
    roles = readme_roles()
    editor, reviewer = permissions("Editors"), permissions("Reviewers")
    assert "all an editor can" in roles["reviewer"] and editor <= reviewer
    for words, codename in PROMISES.items():
        assert (words in roles["editor"]) == (codename in editor), (words, roles["editor"])
        promised = words in roles["reviewer"] or "all an editor can" in roles["reviewer"]
        assert promised == (codename in reviewer), (words, roles["reviewer"])
