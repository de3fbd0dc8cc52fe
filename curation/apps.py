from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self) -> None:
        from curation import signals
        from curation.roles import ensure_groups

        signals.connect()
        post_migrate.connect(ensure_groups, sender=self)
