from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post
from tcfo_portal.exceptions import DomainError

from ..access import visible_to
from ..choices import Capability
from ..filtersets import ApiKeyFilterSet
from ..models import API_KEY_PREFIX_PATTERN, ApiKey
from ..services import create_api_key, revoke_api_key
from .permissions import ANY_ACTOR
from .serializers import (
    ActorSerializer,
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
)


class MeView(APIView):
    """Who the request is made as: organisation, role and what that role may do."""

    required_capability = ANY_ACTOR

    @extend_schema(responses=ActorSerializer)
    def get(self, request: Request) -> Response:
        return Response(ActorSerializer(request.user).data)


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The API keys of the caller's organisation (customer admins)."""

    serializer_class = ApiKeySerializer
    required_capability = Capability.MANAGE_API_KEYS
    lookup_field = "prefix"
    lookup_value_regex = API_KEY_PREFIX_PATTERN
    filter_backends = LIST_FILTERS
    filterset_class = ApiKeyFilterSet
    ordering_fields = {"created": "created", "name": "name", "last_used_at": "last_used_at"}

    def get_serializer_class(self) -> type:
        return ApiKeyCreateSerializer if self.action == "create" else ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        queryset = ApiKey.objects.select_related("organisation", "created_by").order_by("-created")
        return visible_to(queryset, self.request.user)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    @idempotent_post(withhold=("key",))
    def create(self, request: Request) -> Response:
        """Create a key; its secret is in this answer only. A retry with the same
        ``Idempotency-Key`` gets the same key back with ``key`` null: only its hash is stored."""
        organisation = request.user.organisation
        if organisation is None:
            raise DomainError(
                "A platform admin belongs to no organisation: use manage.py create_api_key."
            )
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, secret = create_api_key(
            organisation=organisation, created_by=request.user, **serializer.validated_data
        )
        api_key.key = secret
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, prefix: str | None = None) -> Response:
        api_key = revoke_api_key(api_key=self.get_object())
        return Response(ApiKeySerializer(api_key).data)
