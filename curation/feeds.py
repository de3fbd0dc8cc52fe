from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from curation.models import Agreement, Project


class NewlyVerifiedFeed(Feed):
    feed_type = Atom1Feed
    title = _("Newly verified cooperation records")
    subtitle = _("Agreements and projects as reviewers verify them.")
    link = reverse_lazy("curation:home")

    def items(self):
        latest = []
        for model in (Agreement, Project):
            latest += model.objects.public().exclude(verified_at=None).order_by("-verified_at")[:30]
        return sorted(latest, key=lambda record: record.verified_at, reverse=True)[:30]

    def item_title(self, record):
        return f"{record.reference} {record.title_en}"

    def item_description(self, record):
        return record.summary

    def item_pubdate(self, record):
        return record.verified_at

    def item_updateddate(self, record):
        return record.verified_at
