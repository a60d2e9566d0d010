from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organisations.models import User
from organisations.two_factor import authenticator_of, code_for


class Command(BaseCommand):
    help = (
        "Print the code a user's authenticator app shows now (for trying the demo's two-factor "
        "login without a phone). Anyone who can run this can read the database anyway."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        device = authenticator_of(user)
        if device is None:
            raise CommandError(f"“{username}” has no authenticator: logins ask for no code.")
        self.stdout.write(code_for(device))
