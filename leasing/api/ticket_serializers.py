"""Trouble tickets in the API: MEF LSO Sonata's Trouble Ticket fields in snake_case."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tcfo_portal.api.fields import UnsetAsNullChoiceField

from ..choices import (
    TICKET_CONTACT_ROLES,
    NoteVisibility,
    ObservedImpact,
    TicketPriority,
    TicketSeverity,
    TicketStatus,
)
from ..constants import CIRCUIT_ID_MAX_LENGTH, NOTE_MAX_LENGTH
from ..models import TicketChange, TroubleTicket
from ..services.tickets import CONTACT_NAME_MAX, CONTACT_PHONE_MAX, DESCRIPTION_MAX, EXTERNAL_ID_MAX


class ContactSerializer(serializers.Serializer):
    """Sonata's ``RelatedContactInformation``: who the operator talks to about the fault."""

    name = serializers.CharField(max_length=CONTACT_NAME_MAX)
    email_address = serializers.EmailField()
    number = serializers.CharField(
        max_length=CONTACT_PHONE_MAX, required=False, allow_null=True, default=None
    )
    role = serializers.ChoiceField(choices=TICKET_CONTACT_ROLES, default="reporter_contact")


class TicketChangeSerializer(serializers.ModelSerializer):
    from_status = UnsetAsNullChoiceField(
        choices=TicketStatus.choices, help_text="null on the first step (the ticket was opened)."
    )
    note = serializers.CharField(
        source="shown_note", read_only=True, help_text='"" for a customer and an internal note.'
    )
    note_visibility = serializers.ChoiceField(choices=NoteVisibility.choices, read_only=True)

    class Meta:
        model = TicketChange
        fields = ["from_status", "to_status", "by", "note", "note_visibility", "at"]
        read_only_fields = fields


def _or_null(value: str) -> str | None:
    return value or None


#: Our ticket statuses and MEF LSO Sonata's ``TroubleTicketStatusType`` values: the same
#: states, written snake_case like every enum of this API (only ``in_progress`` differs in
#: more than case). ``held`` is TMF621's, which Sonata lacks. A Sonata adapter maps with this.
SONATA_STATUS: dict[str, str] = {
    TicketStatus.ACKNOWLEDGED: "acknowledged",
    TicketStatus.IN_PROGRESS: "inProgress",
    TicketStatus.PENDING: "pending",
    TicketStatus.HELD: "held (TMF621; not in Sonata)",
    TicketStatus.RESOLVED: "resolved",
    TicketStatus.CLOSED: "closed",
    TicketStatus.REOPENED: "reopened",
    TicketStatus.CANCELLED: "cancelled",
}

STATUS_HELP = (
    "MEF LSO Sonata's trouble ticket status in this API's snake_case (Sonata's camelCase in "
    "brackets): "
    + ", ".join(f"{ours} ({SONATA_STATUS[ours]})" for ours in TicketStatus.values)
    + ". Field names follow Sonata's the same way (status_change_date: statusChangeDate)."
)


class TroubleTicketSerializer(serializers.ModelSerializer):
    circuit_id = serializers.CharField(source="service.circuit_id", read_only=True)
    customer = serializers.CharField(source="customer.name", read_only=True)
    external_id = serializers.SerializerMethodField()
    status_change_reason = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()
    related_contact_information = serializers.SerializerMethodField()

    class Meta:
        model = TroubleTicket
        fields = [
            "id",
            "circuit_id",
            "customer",
            "external_id",
            "status",
            "severity",
            "priority",
            "observed_impact",
            "description",
            "issue_start_date",
            "related_contact_information",
            "status_change_reason",
            "status_change_date",
            "outage",
            "resolution",
            "resolution_date",
            "creation_date",
            "last_update",
        ]
        read_only_fields = fields
        extra_kwargs = {"status": {"help_text": STATUS_HELP}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_external_id(self, ticket: TroubleTicket) -> str | None:
        return _or_null(ticket.external_id)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_status_change_reason(self, ticket: TroubleTicket) -> str | None:
        return _or_null(ticket.status_change_reason)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_resolution(self, ticket: TroubleTicket) -> str | None:
        return _or_null(ticket.resolution)

    @extend_schema_field(ContactSerializer(many=True))
    def get_related_contact_information(self, ticket: TroubleTicket) -> list[dict]:
        return [
            {
                "name": ticket.contact_name,
                "email_address": ticket.contact_email,
                "number": ticket.contact_phone or None,
                "role": "reporter_contact",
            }
        ]


class TroubleTicketDetailSerializer(TroubleTicketSerializer):
    history = TicketChangeSerializer(source="changes", many=True, read_only=True)

    class Meta(TroubleTicketSerializer.Meta):
        fields = [*TroubleTicketSerializer.Meta.fields, "history"]
        read_only_fields = fields


class TroubleTicketRequestSerializer(serializers.Serializer):
    circuit_id = serializers.CharField(max_length=CIRCUIT_ID_MAX_LENGTH)
    severity = serializers.ChoiceField(choices=TicketSeverity.choices)
    priority = serializers.ChoiceField(
        choices=TicketPriority.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: the severity's (extensive: critical ... minor: low).",
    )
    observed_impact = serializers.ChoiceField(choices=ObservedImpact.choices)
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    issue_start_date = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, allow_blank=True, default=""
    )
    related_contact_information = ContactSerializer(
        many=True, min_length=1, max_length=1, help_text="The reporter contact: exactly one."
    )


class OperatorNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    note_visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        default=NoteVisibility.INTERNAL,
        help_text="Operators: internal (operators only, the default) or customer. A customer's "
        "note is always the customer's.",
    )


class ResolveSerializer(OperatorNoteSerializer):
    resolution = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="How the fault was resolved; the customer reads it."
    )


class CustomerStepSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why (required to reopen); the operators read it.",
    )


class NoteSerializer(OperatorNoteSerializer):
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH)


class OutageLinkSerializer(serializers.Serializer):
    outage = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**31 - 1,
        help_text="An outage of a segment of the service's path; null unlinks.",
    )
