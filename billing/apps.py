from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Its tasks by name for services' ``tcfo_portal.queue.after_commit``, in every process.
        from . import (
            signals,  # noqa: F401 - connects the receivers
            tasks,  # noqa: F401
        )
