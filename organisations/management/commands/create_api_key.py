from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from organisations.choices import Role
from organisations.models import Organisation
from organisations.services import create_api_key
from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import domain_error_text
from tcfo_portal.inputs import parse_whole_number


def find_organisation(name_or_id: str) -> Organisation:
    """By exact name, else by id, else by a name that differs only in case (if just one does)."""
    exact = Organisation.objects.filter(name=name_or_id).first()
    if exact is not None:
        return exact
    pk = parse_whole_number(name_or_id, minimum=1)
    if pk is not None:
        by_id = Organisation.objects.filter(pk=pk).first()
        if by_id is not None:
            return by_id
    matches = list(Organisation.objects.filter(name__iexact=name_or_id)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandError(f"Several organisations are called “{name_or_id}”: give the exact name.")
    raise CommandError(f"No organisation “{name_or_id}”.")


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
        organisation = find_organisation(org)
        try:
            api_key, secret = create_api_key(organisation=organisation, name=name, role=role)
        except DomainError as error:
            raise CommandError(domain_error_text(error)) from None
        self.stderr.write(
            f"API key {api_key.prefix} for {organisation} as {api_key.get_role_display()}; "
            "store it now, it is not shown again:"
        )
        self.stdout.write(secret)
