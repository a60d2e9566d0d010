from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import module_has_submodule

from organisations.demo import load_demo_organisations


class Command(BaseCommand):
    help = (
        "Load the demo data (idempotent) and print the demo logins. Every installed app with a "
        "`demo` module contributes its `load()`, in the order of INSTALLED_APPS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DJANGO_DEBUG off (the demo logins have a published password).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DJANGO_DEBUG off: its logins have a published "
                "password. Use --force on a staging database if you mean it."
            )
        # The demo's own orders mail nobody (in-process tasks; a worker uses its own settings).
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            logins = load_demo_organisations()
            for app in apps.get_app_configs():
                if app.name == "organisations" or not module_has_submodule(app.module, "demo"):
                    continue
                importlib.import_module(f"{app.name}.demo").load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo logins:"))
        width = max(len(login.username) for login in logins)
        secret_width = max(len(login.totp_secret) for login in logins)
        for login in logins:
            secret = f"TOTP {login.totp_secret}" if login.totp_secret else ""
            self.stdout.write(
                f"  {login.username:<{width}}  password {login.password}  "
                f"{secret:<{secret_width + 5}}  {login.role} ({login.organisation})"
            )
        self.stdout.write(
            "Staff logins ask for a code after the password: add the TOTP secret to an "
            "authenticator app, or print the current code with "
            "`manage.py totp_code <username>`."
        )
