from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from organisations.choices import Role
from organisations.models import Organisation
from organisations.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key for an organisation and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation name or id.")
        parser.add_argument("--name", default="created on the command line")
        parser.add_argument(
            "--role",
            choices=[role for role in Role.values if role != Role.PLATFORM_ADMIN],
            help="Default: customer member for a customer, operator network for an operator.",
        )

    def handle(self, *args: Any, org: str, name: str, role: str | None, **options: Any) -> None:
        lookup = {"pk": int(org)} if org.isdigit() else {"name__iexact": org}
        try:
            organisation = Organisation.objects.get(**lookup)
        except Organisation.DoesNotExist:
            raise CommandError(f"No organisation “{org}”.") from None
        try:
            api_key, secret = create_api_key(organisation=organisation, name=name, role=role)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"API key {api_key.prefix} for {organisation} as {api_key.get_role_display()}; "
            "store it now, it is not shown again:"
        )
        self.stdout.write(secret)
