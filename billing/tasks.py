from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from tcfo_portal.exceptions import DomainError

from .choices import SampleStatus
from .models import BillingRun, Invoice
from .periods import last_ended
from .services.invoices import store_invoice_pdf
from .services.polling import poll_counters as poll
from .services.runs import bill_contracts, fail_run, start_run
from .services.usage_archive import compact_payloads


@shared_task
def poll_counters() -> int:
    """Read every polled port's counters (Celery beat, every 5 minutes)."""
    result = poll()
    return 0 if result is None else result.count(SampleStatus.ACCEPTED)


@shared_task
def compact_usage_payloads() -> int:
    """Gzip the usage payload files of the UTC days before today (Celery beat, nightly)."""
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return compact_payloads(before=today)


@shared_task(bind=True, acks_late=True, max_retries=5)
def bill_chunk(self: Task, run_id: int, contract_ids: list[int]) -> int:
    """Rate one chunk of a billing run (idempotent: a chunk done twice bills nothing twice).

    A database hiccup is retried; a rule that refuses (e.g. no VAT rate for a date) or retries
    used up mark the run failed with the reason, so finance can fix it and run the period again.
    """
    try:
        return bill_contracts(run=BillingRun.objects.get(pk=run_id), contract_ids=contract_ids)
    except OperationalError as error:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=error, countdown=2**self.request.retries) from error
        fail_run(run_id=run_id, error=f"Database error: {error}")
        raise
    except DomainError as error:
        fail_run(run_id=run_id, error=error.detail)
        return 0
    except Exception as error:
        fail_run(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise


@shared_task
def start_monthly_billing() -> int:
    """The 1st of the month (Celery beat, Baku time): bill the month that just ended there."""
    period = last_ended(settings.CELERY_TIMEZONE, timezone.now())
    run, _ = start_run(period=period, by="monthly schedule")
    return run.pk


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_invoice_pdf(invoice_id: int) -> None:
    """Render the PDF of an issued invoice that has none (issuing stores it itself; this is
    for invoices issued without one before, queued from the billing page), then mail it."""
    store_invoice_pdf(invoice=Invoice.objects.get(pk=invoice_id))


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_credit_note_pdf(note_id: int) -> None:
    """Render a credit note's PDF once (after the transaction that issued it committed)."""
    from .models import CreditNote
    from .services.credit_notes import store_credit_note_pdf

    store_credit_note_pdf(note=CreditNote.objects.get(pk=note_id))


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def render_debit_note_pdf(note_id: int) -> None:
    """Render a debit note's PDF once (after the transaction that issued it committed)."""
    from .models import DebitNote
    from .services.debit_notes import store_debit_note_pdf

    store_debit_note_pdf(note=DebitNote.objects.get(pk=note_id))


@shared_task
def note_late_outages() -> int:
    """Outages recorded or corrected after a month was frozen become late adjustments (beat)."""
    from .services.closing import note_late_outages as note

    return note()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def mail_invoice(invoice_id: int) -> int:
    """Mail an issued invoice with its PDF (queued once the PDF is stored)."""
    from .services.invoices import mail_invoice as send

    return send(
        invoice=Invoice.objects.select_related("customer", "billing_party").get(pk=invoice_id)
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def mail_credit_note(note_id: int) -> int:
    """Mail a credit note with its PDF (queued once the PDF is stored)."""
    from .models import CreditNote
    from .services.credit_notes import mail_credit_note as send

    return send(
        note=CreditNote.objects.select_related("invoice__customer", "invoice__billing_party").get(
            pk=note_id
        )
    )


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def mail_debit_note(note_id: int) -> int:
    """Mail a debit note with its PDF (queued once the PDF is stored)."""
    from .models import DebitNote
    from .services.debit_notes import mail_debit_note as send

    return send(
        note=DebitNote.objects.select_related("invoice__customer", "invoice__billing_party").get(
            pk=note_id
        )
    )
