from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.services.usage_csv import UsageFileError, ingest_usage_file
from organisations.access import SystemActor
from organisations.choices import Role
from organisations.management.commands.create_api_key import find_organisation


class Command(BaseCommand):
    help = (
        "Ingest a CSV file of usage samples (as the API takes them) for an operator; each "
        "refused row is printed with its line and why, the others are stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="The operator feeding the file.")

    def handle(self, *args: Any, file: Path, operator: str, **options: Any) -> None:
        organisation = find_organisation(operator)
        if not organisation.is_operator:
            raise CommandError(f"{organisation} is not an operator.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from None
        actor = SystemActor(organisation, Role.OPERATOR_NETWORK, f"ingest_usage {file.name}")
        try:
            result = ingest_usage_file(data=data, actor=actor)
        except UsageFileError as error:
            raise CommandError(f"{file}: {error.detail}") from None
        for refused in result.refused:
            self.stderr.write(f"line {refused.line}: {refused.reason}")
        self.stdout.write(result.summary())
        if result.ingested and result.ingested.decisions_text:
            self.stdout.write(f"Decisions: {result.ingested.decisions_text}.")
