from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from curation.accounts import DEMO_ACCOUNTS, ensure_user


class Command(BaseCommand):
    help = "Create or reset the demo editor, reviewer and administrator, and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="where the server listens")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts have known passwords: refusing with DJANGO_DEBUG off."
            )
        address = f"http://127.0.0.1:{options['port']}/admin/"
        self.stdout.write(f"Demo accounts (log in at {address}):")
        for username, password, groups, superuser in DEMO_ACCOUNTS:
            user = ensure_user(username, groups, superuser=superuser)
            user.set_password(password)
            user.save(update_fields=["password"])
            role = "administrator" if superuser else ", ".join(groups)
            self.stdout.write(f"  {username:<9} password: {password:<20} ({role})")
