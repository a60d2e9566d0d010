from __future__ import annotations

from rest_framework import serializers

from ..access import Actor, capabilities_of
from ..choices import Role
from ..models import ApiKey, Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "legal_name", "country", "time_zone", "currency"]
        read_only_fields = fields


class ActorSerializer(serializers.Serializer):
    organisation = OrganisationSerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)
    capabilities = serializers.SerializerMethodField()
    authentication = serializers.SerializerMethodField()

    def get_capabilities(self, actor: Actor) -> list[str]:
        return sorted(capabilities_of(actor))

    def get_authentication(self, actor: Actor) -> str:
        return "api_key" if getattr(actor, "is_api_key", False) else "session"


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = ApiKey
        fields = [
            "prefix",
            "name",
            "role",
            "created",
            "created_by",
            "last_used_at",
            "revoked",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(
        choices=Role.choices,
        required=False,
        help_text="Default: customer member (operator network for an operator).",
    )


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="The secret key. Shown this once, never again: null in the answer replayed "
        "for a retry with the same Idempotency-Key.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
