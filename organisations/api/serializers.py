from __future__ import annotations

from rest_framework import serializers

from ..access import Actor, capabilities_of
from ..choices import ROLES_BY_KIND, Role
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
        return "session" if getattr(actor, "pk", None) else "api_key"


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

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
    role = serializers.ChoiceField(choices=Role.choices, required=False)

    def validate_role(self, role: str) -> str:
        organisation = self.context["organisation"]
        if role not in ROLES_BY_KIND[organisation.kind]:
            raise serializers.ValidationError(f"A key of a {organisation.kind} cannot be {role}.")
        return role


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The secret key. Shown this once, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
