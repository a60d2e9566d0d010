from django.apps import AppConfig


class LeasingConfig(AppConfig):
    name = "leasing"
    verbose_name = "Network, catalog and sales"

    def ready(self) -> None:
        # Its tasks by name for services' ``tcfo_portal.queue.after_commit``, in every process.
        from . import tasks  # noqa: F401
