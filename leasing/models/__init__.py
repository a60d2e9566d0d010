from .capacity import (
    CapacityAllocation,
    LitCapacityReservation,
    SpectrumReservation,
    TransitPortReservation,
)
from .catalog import Price, Product
from .network import (
    FiberPair,
    LitCarrier,
    Outage,
    OutageChange,
    OwnershipShare,
    Path,
    PathSegment,
    Segment,
    SegmentOwnership,
    Site,
    TransitPortPool,
)
from .sales import Contract, IruInstallment, Order, OrderTransition, Quote, Service, SlaCreditTier

__all__ = [
    "CapacityAllocation",
    "Contract",
    "FiberPair",
    "IruInstallment",
    "LitCapacityReservation",
    "LitCarrier",
    "Order",
    "OrderTransition",
    "Outage",
    "OutageChange",
    "OwnershipShare",
    "Path",
    "PathSegment",
    "Price",
    "Product",
    "Quote",
    "Segment",
    "SegmentOwnership",
    "Service",
    "Site",
    "SlaCreditTier",
    "SpectrumReservation",
    "TransitPortPool",
    "TransitPortReservation",
]
