from tcfo_portal.exceptions import Conflict, DomainError


class CapacityUnavailable(Conflict):
    """The capacity asked for is not (or no longer) free."""

    error_type = "capacity_unavailable"


class HoldLimitReached(Conflict):
    """The customer already holds capacity with as many submitted orders as it may at once."""

    error_type = "hold_limit_reached"


class NotSellable(DomainError):
    """The product cannot be sold where or when it was asked for (no price, wrong place...)."""

    error_type = "not_sellable"


class NotPermitted(DomainError):
    """The actor may not do this to this object (e.g. a chain only platform admins change)."""

    status_code = 403
    error_type = "permission_denied"
