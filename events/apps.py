from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and webhooks"

    def ready(self) -> None:
        # Its tasks by name for services' ``tcfo_portal.queue.after_commit``, in every process.
        from . import checks, tasks  # noqa: F401
