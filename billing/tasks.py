from celery import shared_task

from .services.polling import poll_counters as poll


@shared_task
def poll_counters() -> int:
    """Read every polled port's counters (Celery beat, every 5 minutes)."""
    result = poll()
    return 0 if result is None else result.count("accepted")
