"""``Idempotency-Key`` on ``POST`` that creates: the same key and body get the first answer again.

The key is recorded in the same transaction as what the request creates, before it creates
anything: a concurrent retry with the same key waits on the database's unique index until the
first commits, then replays its answer. Only successful answers are kept; a refused request
created nothing, so trying it again is safe. The same key with another body is a 422.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.models import IdempotencyRecord
from tcfo_portal.exceptions import DomainError

HEADER = "Idempotency-Key"

# The header as the schema declares it on each operation that takes it.
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255},
    location=OpenApiParameter.HEADER,
    required=False,
    description="1 to 255 printable characters. Send the same key with the same body again to "
    "get the first answer back instead of a second one; another body with it is a 422.",
)


class IdempotencyKeyReused(DomainError):
    status_code = 422
    error_type = "idempotency_key_reused"


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"The {HEADER} “{record.key}” was used for another request.",
            errors={HEADER: ["Use a new key for a new request."]},
        )
    return Response(
        record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` at most once per organisation and ``Idempotency-Key``."""
    key = request.headers.get(HEADER)
    organisation = getattr(request.user, "organisation", None)
    if key is None or organisation is None:
        return create()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise DomainError(
            f"An {HEADER} is 1 to 255 printable characters.", errors={HEADER: ["Invalid."]}
        )
    fingerprint = _fingerprint(request)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        organisation=organisation,
                        key=key,
                        path=request.path[:255],
                        request_hash=fingerprint,
                        status_code=0,
                        response_body={},
                    )
            except IntegrityError:
                existing = IdempotencyRecord.objects.get(organisation=organisation, key=key)
                return _replay(existing, fingerprint)
            response = create()
            if not status.is_success(response.status_code):
                raise _Refused(response)
            record.status_code = response.status_code
            record.response_body = json.loads(JSONRenderer().render(response.data))
            record.save(update_fields=["status_code", "response_body"])
            return response
    except _Refused as refused:
        return refused.response
