"""Domain errors raised by services; the API and the portal map them to responses in one place.

Services raise these, never Django's ``ValidationError`` (tested in ``tests/test_project.py``):
the API answers them through ``tcfo_portal.api.errors``, portal forms show them through
``tcfo_portal.forms.add_domain_error``, the admin through ``tcfo_portal.forms.form_messages``.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

#: The key of messages about no one field, as the API names it (DRF's ``non_field_errors``).
NON_FIELD = "non_field_errors"


class DomainError(Exception):
    """A business rule refused the request. Subclasses set the HTTP status and error type.

    ``errors`` maps input fields to messages about them (the API's ``errors``; a portal form
    shows each on its field). ``field`` names the one field ``detail`` is about: the error is
    then that field's (``errors[field]`` is ``[detail]`` unless given), and a form shows it on
    the field alone.
    """

    status_code = 400
    error_type = "invalid_request"

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = dict(errors or {})
        if field is not None:
            self.errors.setdefault(field, [detail])


class InvalidInput(DomainError):
    """A value that is not what it must be, named by ``field``: the API answers it as a
    ``validation_error`` whose ``detail`` is ``"field: message"`` (as for a serializer's)."""

    status_code = 400
    error_type = "validation_error"

    def __init__(self, name: str, message: str) -> None:
        detail = message if name == NON_FIELD else f"{name}: {message}"
        super().__init__(detail, errors={name: [message]}, field=name)

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> InvalidInput:
        """The refusal of a model's own validation (``full_clean``, a validator), as a domain
        error with the same messages on the same fields."""
        if hasattr(error, "error_dict"):
            errors = {
                NON_FIELD if name == NON_FIELD_ERRORS else name: messages
                for name, messages in error.message_dict.items()
            }
        else:
            errors = {NON_FIELD: error.messages}
        name, messages = next(iter(errors.items()))
        invalid = cls(name, messages[0])
        invalid.errors = errors
        return invalid


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
