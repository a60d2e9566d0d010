from celery import shared_task

from .emails import send_pending_emails as send_pending
from .emails import send_queued_email


@shared_task(name="organisations.tasks.send_email", ignore_result=True)
def send_email(email_id: int) -> bool:
    """Deliver one queued e-mail (``organisations.emails.queue_email``)."""
    return send_queued_email(email_id=email_id)


@shared_task(name="organisations.tasks.send_pending_emails", ignore_result=True)
def send_pending_emails() -> int:
    """Beat: send what the commits' own tasks did not, and retry failures."""
    return send_pending()
