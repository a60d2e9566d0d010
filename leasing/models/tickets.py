"""Trouble tickets: a customer's report of a fault on one of its services, worked by the
network staff of the operators that own the service's route. Field names follow MEF LSO
Sonata's Trouble Ticket (``externalId``, ``severity``, ``priority``, ``observedImpact``,
``relatedContactInformation``, ``statusChangeReason``, ``creationDate``, ``lastUpdate``,
``resolutionDate``) in snake_case. The status changes only through ``leasing.ticket_lifecycle``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..choices import NoteVisibility, ObservedImpact, TicketPriority, TicketSeverity, TicketStatus


class TroubleTicket(models.Model):
    service = models.ForeignKey("leasing.Service", on_delete=models.PROTECT, related_name="tickets")
    customer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="tickets"
    )
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The customer's own reference for the ticket."
    )
    severity = models.CharField(max_length=16, choices=TicketSeverity.choices)
    priority = models.CharField(max_length=16, choices=TicketPriority.choices)
    observed_impact = models.CharField(max_length=16, choices=ObservedImpact.choices)
    description = models.TextField()
    issue_start_date = models.DateTimeField(
        null=True, blank=True, help_text="When the customer first saw the fault."
    )
    contact_name = models.CharField(max_length=150)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.ACKNOWLEDGED
    )
    status_change_reason = models.TextField(blank=True)
    status_change_date = models.DateTimeField(default=timezone.now)
    outage = models.ForeignKey(
        "leasing.Outage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        help_text="The outage that caused the fault, once the operator knows it.",
    )
    resolution = models.TextField(blank=True, help_text="How the operator resolved the fault.")
    resolution_date = models.DateTimeField(null=True, blank=True)
    creation_date = models.DateTimeField(auto_now_add=True)
    last_update = models.DateTimeField(auto_now=True)

    tenant_field = "customer"

    class Meta:
        ordering = ["-creation_date", "-pk"]
        indexes = [models.Index(fields=["status", "creation_date"])]

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.get_status_display()})"

    @classmethod
    def operator_visibility(cls, operator: object) -> Q:
        """An operator sees (and its network staff work) the tickets of services whose route
        it owns a share of today: a segment of the path, or the site of a service at a PoP."""
        from .network import Segment

        return Q(service__path__segments__in=Segment.owned_by(operator)) | Q(
            service__site__operator=operator
        )


class TicketChange(models.Model):
    """One step of a ticket's history: who, when, from which status to which (the same for a
    note alone), and a note that the customer reads only when written for it."""

    ticket = models.ForeignKey(TroubleTicket, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(
        max_length=16, choices=TicketStatus.choices, blank=True, help_text="Empty: opened."
    )
    to_status = models.CharField(max_length=16, choices=TicketStatus.choices)
    by = models.CharField(max_length=150, help_text="A user, an API key or a job.")
    note = models.TextField(blank=True)
    note_visibility = models.CharField(
        max_length=8, choices=NoteVisibility.choices, default=NoteVisibility.CUSTOMER
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} -> {self.to_status} by {self.by}"
