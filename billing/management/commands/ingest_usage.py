from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.choices import SampleStatus, UsageSource
from billing.services.usage import ingest, read_csv
from organisations.access import SystemActor
from organisations.choices import Role
from organisations.management.commands.create_api_key import find_organisation


class Command(BaseCommand):
    help = "Ingest a CSV file of usage samples (as the API takes them) for an operator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="The operator feeding the file.")

    def handle(self, *args: Any, file: Path, operator: str, **options: Any) -> None:
        organisation = find_organisation(operator)
        if not organisation.is_operator:
            raise CommandError(f"{organisation} is not an operator.")
        try:
            data = file.read_bytes()
            samples = read_csv(data.decode("utf-8-sig").splitlines())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(str(error)) from None
        actor = SystemActor(organisation, Role.OPERATOR_NETWORK, f"ingest_usage {file.name}")
        result = ingest(samples=samples, actor=actor, source=UsageSource.CSV, raw_payload=data)
        for rejected in (r for r in result.not_accepted if r.status == SampleStatus.REJECTED):
            self.stderr.write(f"row {rejected.index + 2}: {rejected.reason}")
        self.stdout.write(
            f"batch {result.batch.pk}: {result.count('accepted')} accepted, "
            f"{result.count('duplicate')} duplicates, {result.count('rejected')} rejected "
            f"({result.decisions_text})"
        )
