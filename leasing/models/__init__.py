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
    OwnershipShare,
    Path,
    PathSegment,
    Segment,
    SegmentOwnership,
    Site,
    TransitPortPool,
)

__all__ = [
    "CapacityAllocation",
    "FiberPair",
    "LitCapacityReservation",
    "LitCarrier",
    "OwnershipShare",
    "Path",
    "PathSegment",
    "Price",
    "Product",
    "Segment",
    "SegmentOwnership",
    "Site",
    "SpectrumReservation",
    "TransitPortPool",
    "TransitPortReservation",
]
