"""``Idempotency-Key`` on ``POST`` that creates: the same key and body get the first answer again.

Every API ``POST`` that creates something takes it (the contract): a viewset whose ``create`` is
DRF's inherits ``IdempotentCreateMixin``; a ``create`` or an action of its own is decorated with
``@idempotent_post``. Both mark the handler, and the schema (``tcfo_portal.api.schema``)
declares the header, and its 422, on every marked operation; ``tests/api/test_idempotency.py``
fails for a creating ``POST`` (one answering 201) without it.

The key is recorded in the same transaction as what the request creates, before it creates
anything: a concurrent retry with the same key waits on the database's unique index until the
first commits, then replays its answer. Only successful answers are kept; a refused request
created nothing, so trying it again is safe. The same key with another body is a 422. A field
the answer must give only once (a new API key's secret) is withheld from what is kept: its replay
answers ``null`` there.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

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


def _scope(request: Request) -> dict[str, Any] | None:
    """Whose keys a request's key is among: its organisation's (an API key's, a member's), or
    its user's for a user of none (a platform admin); ``None`` for an anonymous request."""
    user = request.user
    organisation = getattr(user, "organisation", None)
    if organisation is not None:
        return {"organisation": organisation}
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return {"organisation": None, "user": user}
    return None


def idempotent(
    request: Request, create: Callable[[], Response], *, withhold: tuple[str, ...] = ()
) -> Response:
    """Run ``create`` at most once per API client (``_scope``) and ``Idempotency-Key``; the
    fields named in ``withhold`` are kept as ``null`` for a replay (never stored)."""
    key = request.headers.get(HEADER)
    scope = _scope(request)
    if key is None or scope is None or getattr(request, "_idempotency_key_taken", False):
        return create()  # no key, no client, or an outer handler (a subclass's) answers for it
    request._idempotency_key_taken = True
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
                        **scope,
                        key=key,
                        path=request.path[:255],
                        request_hash=fingerprint,
                        status_code=0,
                        response_body={},
                    )
            except IntegrityError:
                existing = IdempotencyRecord.objects.get(**scope, key=key)
                return _replay(existing, fingerprint)
            response = create()
            if not status.is_success(response.status_code):
                raise _Refused(response)
            record.status_code = response.status_code
            kept = json.loads(JSONRenderer().render(response.data))
            record.response_body = {**kept, **dict.fromkeys(withhold)} if withhold else kept
            record.save(update_fields=["status_code", "response_body"])
            return response
    except _Refused as refused:
        return refused.response


def idempotent_post(
    handler: Callable[..., Response] | None = None, *, withhold: tuple[str, ...] = ()
) -> Any:
    """Make a view's ``POST`` handler (``create``, or an ``@action``) answer through
    ``idempotent``; the schema declares the header on it (``is_idempotent``). Used bare, or as
    ``@idempotent_post(withhold=("key",))`` for an answer with a field shown only once."""
    if handler is None:
        return functools.partial(idempotent_post, withhold=withhold)

    @functools.wraps(handler)
    def answer(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent(
            request, lambda: handler(view, request, *args, **kwargs), withhold=withhold
        )

    answer.idempotent = True  # type: ignore[attr-defined]
    return answer


def is_idempotent(handler: Any) -> bool:
    """Whether a view's handler takes ``Idempotency-Key`` (``idempotent_post``)."""
    return getattr(handler, "idempotent", False) is True


class IdempotentCreateMixin:
    """For a viewset whose ``create`` is DRF's ``CreateModelMixin.create``: put it first among
    the bases, so a retry with the same key gets the first answer and creates nothing more."""

    @idempotent_post
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)  # type: ignore[misc]
