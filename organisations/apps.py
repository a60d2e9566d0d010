from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"
    verbose_name = "Organisations and access"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .security import forget_failures_of_account

        user_logged_in.connect(forget_failures_of_account, dispatch_uid="forget-failed-logins")
        # Its tasks by name for services' ``tcfo_portal.queue.after_commit``, in every process.
        from . import tasks  # noqa: F401
