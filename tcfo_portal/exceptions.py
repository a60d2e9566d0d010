"""Domain errors raised by services; the API and the portal map them to responses in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request. Subclasses set the HTTP status and error type."""

    status_code = 400
    error_type = "invalid_request"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class Conflict(DomainError):
    """The request is valid but the state of things no longer allows it (e.g. capacity gone)."""

    status_code = 409
    error_type = "conflict"


class InvalidTransition(DomainError):
    status_code = 409
    error_type = "invalid_transition"


class Forbidden(DomainError):
    """The actor may not do this (e.g. finance staff of another operator than the billing party)."""

    status_code = 403
    error_type = "permission_denied"
