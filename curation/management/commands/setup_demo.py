from django.core.management import call_command
from django.core.management.base import BaseCommand

from curation.models import Publication, Source


class Command(BaseCommand):
    help = "Load the seed dataset into an empty database (never over existing data)."

    def handle(self, *args, **options):
        if Source.objects.exists():
            self.stdout.write("Data already present: seed dataset not loaded again.")
            return
        call_command("loaddata", "seed", verbosity=0)
        Publication.bump()
        self.stdout.write(self.style.SUCCESS("Seed dataset loaded."))
