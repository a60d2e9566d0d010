"""The OpenAPI schema says every answer an operation can give, errors included.

Every 4xx of the API is ``{"type", "detail", "errors"}`` (``tcfo_portal.api.errors``): one ``Error``
component. ``AutoSchema`` adds to each operation the error statuses it can answer, from what the
operation is (every one: 401, 403, 406, 429; one that takes input: 400; one that names an object
or pages a list: 404; one that writes: 409; one with a body: 413, 415; one that takes an
``Idempotency-Key``, declared from its handler: 422). A view that says more about a status
(``OpenApiResponse(description=)``) keeps its words and gets the ``Error`` body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ComponentRegistry
from rest_framework import serializers

from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import IDEMPOTENCY_PARAMETER, is_idempotent

ERROR_DESCRIPTIONS: dict[str, str] = {
    "400": "The input is invalid: `errors` names each field and what is wrong with it.",
    "401": "No API key, or an unknown, revoked or expired one.",
    "403": "The key's role does not allow this.",
    "404": "No such object, or not your organisation's (answered alike); or a page past the end.",
    "406": "The `Accept` header asks for a format this operation does not answer in.",
    "409": "The state of things does not allow this now (e.g. the capacity is gone, or the "
    "step is not allowed from the current state).",
    "413": "The body is too large: send smaller batches.",
    "415": "The body is not JSON (`Content-Type: application/json`).",
    "422": "This `Idempotency-Key` was used for another request: use a new key.",
    "429": "Too many requests: wait the seconds `Retry-After` says, then retry.",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorSerializer(serializers.Serializer):
    """What every 4xx of the API answers."""

    type = serializers.CharField(
        help_text="What kind of error, for programs: `validation_error`, `parse_error`, "
        "`not_authenticated`, `authentication_failed`, `permission_denied`, `not_found`, "
        "`conflict`, `invalid_transition`, `idempotency_key_reused`, `throttled`, ..."
    )
    detail = serializers.CharField(help_text="What went wrong, in one line for people.")
    errors = serializers.DictField(
        child=serializers.JSONField(),
        help_text="For invalid input: each field with its messages (a list of strings; nested "
        "input nests the same way). Empty otherwise.",
    )


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self) -> list[Any]:
        """A view's own parameters, and ``Idempotency-Key`` where its handler takes it
        (``tcfo_portal.api.idempotency``): declared where it is honoured, and only there."""
        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None) or self.method.lower()
        if is_idempotent(getattr(self.view, action, None)):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
        for status, response in responses.items():
            if status.startswith(("4", "5")):  # a 5xx a view declares is a DomainError too
                if not response.get("description"):
                    response["description"] = ERROR_DESCRIPTIONS.get(status, "Refused.")
                response["content"] = {"application/json": {"schema": error}}
        if "429" in responses:
            responses["429"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "Seconds to wait before the next request.",
                }
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        has_body = "requestBody" in operation
        writes = self.method in _UNSAFE
        statuses = ["401", "403", "406", "429"]
        if writes or has_body or where & {"query", "header"}:
            statuses.append("400")
        if "path" in where or "page" in names:
            statuses.append("404")
        if writes:
            statuses.append("409")
        if has_body:
            statuses += ["413", "415"]
        if IDEMPOTENCY_HEADER in names:
            statuses.append("422")
        return statuses
