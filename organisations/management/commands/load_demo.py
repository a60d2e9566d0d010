from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from organisations.demo import load_demo_organisations


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = load_demo_organisations()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo logins:"))
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login.username:<{width}}  password {login.password}  "
                f"{login.role} ({login.organisation})"
            )
