"""The physical network: sites, segments and who owns them, paths, fiber pairs, lit carriers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_countries.fields import CountryField

from organisations.choices import OrganisationKind

from ..choices import GRID_SLOTS, GridType, OutageAction, SegmentMedium, SiteKind
from ..constants import CODE_MAX_LENGTH, CODE_PATTERN
from ..spectrum import UnitRange, channel_offset, slot_start_thz

code_validator = RegexValidator(
    rf"^{CODE_PATTERN}$", "Use capital letters, digits and dashes, e.g. BAK-AKT."
)
OPERATORS_ONLY = {"kind": OrganisationKind.OPERATOR}

# The C band in 12.5 GHz slots around 193.1 THz: 96 channels of 50 GHz centred on 191.35 to
# 196.10 THz, i.e. from 191.325 to 196.125 THz.
C_BAND_START_SLOT = -142
C_BAND_END_SLOT = 242
# Beyond any band a DWDM system uses (184 to 206 THz): keeps the arithmetic finite.
LOWEST_SLOT = -728
HIGHEST_SLOT = 1032


def refuse_if_holding(reservations: models.QuerySet, name: str) -> None:
    """Refuse to retire a resource while a running or held sale still uses it."""
    from .capacity import live_allocations_q

    today = timezone.localdate()
    in_use = (
        reservations.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .filter(live_allocations_q("allocation__"))
        .count()
    )
    if in_use:
        raise ValidationError(
            {"is_active": f"{name} still carries {in_use} reservation(s); move or end them first."}
        )


def _must_be_operator(organisation: object, field: str) -> None:
    if organisation is not None and not organisation.is_operator:
        raise ValidationError({field: f"{organisation} is not a consortium operator."})


class Site(models.Model):
    """A point of presence or a cable landing station, owned by one operator."""

    code = models.CharField(max_length=CODE_MAX_LENGTH, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=SiteKind.choices)
    country = CountryField()
    city = models.CharField(max_length=100, blank=True)
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="sites",
        limit_choices_to=OPERATORS_ONLY,
        help_text="The operator that owns the site.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if self.operator_id:
            _must_be_operator(self.operator, "operator")

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        return Q(operator=operator)


class Segment(models.Model):
    """A stretch of cable between two sites, subsea or terrestrial."""

    code = models.CharField(max_length=CODE_MAX_LENGTH, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    a_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    z_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    medium = models.CharField(max_length=16, choices=SegmentMedium.choices)
    length_km = models.DecimalField(
        max_digits=9, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    settlement_weight = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="Weight in the revenue split; empty means the length in km.",
    )
    design_capacity_gbps = models.PositiveIntegerField(
        help_text="The design capacity of the segment, e.g. 6000 for 6 Tbit/s."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(a_site=F("z_site")),
                name="segment_joins_two_sites",
                violation_error_message="A segment joins two different sites.",
            ),
            models.CheckConstraint(condition=Q(length_km__gt=0), name="segment_length_positive"),
            models.CheckConstraint(
                condition=Q(settlement_weight__isnull=True) | Q(settlement_weight__gt=0),
                name="segment_weight_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def weight(self) -> Decimal:
        """The settlement weight: the agreed one, or the length."""
        return self.settlement_weight if self.settlement_weight is not None else self.length_km

    def ends(self) -> frozenset[int]:
        return frozenset({self.a_site_id, self.z_site_id})

    def clean(self) -> None:
        if self.pk is None:
            return
        before = type(self).objects.get(pk=self.pk)
        if before.ends() != self.ends():
            paths = sorted(self.paths.values_list("code", flat=True))
            if paths:
                raise ValidationError(
                    f"Paths {', '.join(paths)} run over this segment: change them first."
                )

    @classmethod
    def owned_by(cls, operator: object, on: datetime.date | None = None) -> models.QuerySet:
        """Ids of the segments ``operator`` holds a share of on ``on`` (default today), as a
        query: used in a filter, it runs inside the outer query."""
        on = on or timezone.localdate()
        in_force = (
            SegmentOwnership.objects.filter(segment=OuterRef("segment"), valid_from__lte=on)
            .order_by("-valid_from")
            .values("pk")[:1]
        )
        return (
            SegmentOwnership.objects.filter(pk=Subquery(in_force), shares__operator=operator)
            .values_list("segment_id", flat=True)
            .distinct()
        )

    @classmethod
    def ever_owned_by(cls, operator: object, until: datetime.date | None = None) -> models.QuerySet:
        """Ids of the segments ``operator`` held a share of on any day up to ``until`` (default
        today), as a query. An ownership from a date was in force at least that day (one per
        segment and date), so any share in one starting by ``until`` counts."""
        until = until or timezone.localdate()
        return OwnershipShare.objects.filter(
            operator=operator, ownership__valid_from__lte=until
        ).values_list("ownership__segment_id", flat=True)

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        """Operators change no segment: geometry and weight move everyone's revenue share."""
        return Q(pk__in=[])


class Outage(models.Model):
    """A time a segment carried no traffic, recorded by network staff: every service whose path
    uses the segment was down then (monthly availability and SLA credits come from these)."""

    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="outages")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while it lasts.")
    description = models.CharField(max_length=300)
    recorded_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="outage_ends_after_it_starts",
                violation_error_message="An outage ends after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.segment.code} down from {self.started_at:%Y-%m-%d %H:%M}"


class OutageChange(models.Model):
    """One step of an outage's history: who recorded, ended or corrected it, when, what changed
    (``changes``: field -> [before, after], as ISO text) and why (required for a correction)."""

    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=16, choices=OutageAction.choices)
    changes = models.JSONField(default=dict)
    reason = models.CharField(max_length=300, blank=True)
    by = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["outage", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.by} at {self.at:%Y-%m-%d %H:%M}"


class SegmentOwnership(models.Model):
    """Who owns a segment from ``valid_from`` until the next ownership of the same segment.

    Its shares sum to exactly 100% (``leasing.services.inventory.set_segment_ownership`` refuses
    anything else, and on PostgreSQL a deferred constraint trigger refuses it at commit).
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="ownerships")
    valid_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["segment", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "valid_from"],
                name="one_ownership_per_segment_and_date",
                violation_error_message="This segment already has an ownership from that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.segment.code} from {self.valid_from}"


class OwnershipShare(models.Model):
    ownership = models.ForeignKey(SegmentOwnership, on_delete=models.CASCADE, related_name="shares")
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
    )
    percent = models.DecimalField(max_digits=6, decimal_places=3)

    class Meta:
        ordering = ["ownership", "-percent", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["ownership", "operator"], name="one_share_per_operator"
            ),
            models.CheckConstraint(
                condition=Q(percent__gt=0) & Q(percent__lte=100), name="share_between_0_and_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator}: {self.percent}%"


EARLIEST = datetime.date(2000, 1, 1)  # before anything the consortium bills


class SiteOwnership(models.Model):
    """Who owns a site from ``valid_from`` until the next ownership of the same site.

    Lines without a path (a cross-connect at a PoP) go to the owner of the day. ``Site.operator``
    is the owner today (``leasing.services.inventory.set_site_owner`` keeps both).
    """

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="ownerships")
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
    )
    valid_from = models.DateField()

    class Meta:
        ordering = ["site", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "valid_from"],
                name="one_owner_per_site_and_date",
                violation_error_message="This site already has an owner from that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.code}: {self.operator} from {self.valid_from}"

    def clean(self) -> None:
        if self.operator_id:
            _must_be_operator(self.operator, "operator")


class SegmentWeight(models.Model):
    """A segment's settlement weight from ``valid_from`` until the next one of the segment.

    Days before a segment's first dated weight use ``Segment.weight`` (the agreed weight or the
    length); ``leasing.services.inventory.set_segment_weight`` keeps ``settlement_weight`` as
    the weight in force today.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="weights")
    weight = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    valid_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["segment", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "valid_from"],
                name="one_weight_per_segment_and_date",
                violation_error_message="This segment already has a weight from that date.",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="dated_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.segment.code}: weight {self.weight} from {self.valid_from}"


class Path(models.Model):
    """An ordered chain of segments between two endpoint sites: what products are sold on."""

    code = models.CharField(max_length=CODE_MAX_LENGTH, unique=True, validators=[code_validator])
    name = models.CharField(max_length=100)
    a_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    z_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    segments = models.ManyToManyField(Segment, through="PathSegment", related_name="paths")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(a_site=F("z_site")),
                name="path_joins_two_sites",
                violation_error_message="A path joins two different sites.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        """A path is changed by the operators that own a share of one of its segments today."""
        return Q(segments__in=Segment.owned_by(operator))

    def ordered_segments(self) -> list[Segment]:
        return [
            ps.segment for ps in self.path_segments.select_related("segment").order_by("position")
        ]


class PathSegment(models.Model):
    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="path_segments")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["path", "position"]
        constraints = [
            models.UniqueConstraint(fields=["path", "position"], name="one_segment_per_position"),
            models.UniqueConstraint(fields=["path", "segment"], name="segment_once_per_path"),
        ]

    def __str__(self) -> str:
        return f"{self.path_id}: {self.position}. segment {self.segment_id}"


class FiberPair(models.Model):
    """A fiber pair of a segment, lit by a DWDM system with a channel plan.

    The usable band is a range of 12.5 GHz slots (``leasing.spectrum``): the default is the C band
    from 191.3 to 196.1 THz, 96 channels of 50 GHz.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="fiber_pairs")
    name = models.CharField(max_length=32, help_text="e.g. FP1")
    grid = models.CharField(max_length=16, choices=GridType.choices, default=GridType.FIXED_50)
    band_start_slot = models.IntegerField(
        default=C_BAND_START_SLOT,
        validators=[MinValueValidator(LOWEST_SLOT), MaxValueValidator(HIGHEST_SLOT)],
        help_text="First 12.5 GHz slot of the band (slot 0 starts at 193.1 THz).",
    )
    band_end_slot = models.IntegerField(
        default=C_BAND_END_SLOT,
        validators=[MinValueValidator(LOWEST_SLOT), MaxValueValidator(HIGHEST_SLOT)],
        help_text="The slot after the last one of the band.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["segment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "name"], name="fiber_pair_name_per_segment"),
            models.CheckConstraint(
                condition=Q(band_end_slot__gt=F("band_start_slot")),
                name="fiber_pair_band_not_empty",
                violation_error_message="The band must end above where it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment.code} {self.name}"

    def clean(self) -> None:
        if self.band_start_slot is None or self.band_end_slot is None:
            return
        if self.band_end_slot <= self.band_start_slot:
            raise ValidationError({"band_end_slot": "The band must end above where it starts."})
        if self.step > 1:
            for field in ("band_start_slot", "band_end_slot"):
                if (getattr(self, field) - self.grid_offset) % self.step:
                    raise ValidationError(
                        {field: f"On a {self.get_grid_display()} the band is whole ITU channels."}
                    )
        if self.pk is not None:
            self._keep_what_is_held()
            if not self.is_active:
                refuse_if_holding(self.reservations.all(), f"{self}")

    def _keep_what_is_held(self) -> None:
        """A new plan must still hold every reservation on the fiber pair, where it is."""
        for row in self.reservations.select_related("allocation"):
            fits = self.band.contains(row.units) and (
                self.step == 1
                or (
                    (row.start - self.grid_offset) % self.step == 0 and row.units.width == self.step
                )
            )
            if not fits:
                holder = row.allocation.reference or "a sale"
                raise ValidationError(
                    f"Slots {row.start}..{row.end} are held ({holder}) and would not fit the plan."
                )

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        """A fiber pair is changed by the operators that own a share of its segment today."""
        return Q(segment__in=Segment.owned_by(operator))

    @property
    def band(self) -> UnitRange:
        return UnitRange(self.band_start_slot, self.band_end_slot)

    @property
    def step(self) -> int:
        return GRID_SLOTS[self.grid]

    @property
    def grid_offset(self) -> int:
        return channel_offset(self.step)

    @property
    def band_label(self) -> str:
        return f"{slot_start_thz(self.band_start_slot)} to {slot_start_thz(self.band_end_slot)} THz"

    @property
    def channel_count(self) -> int:
        return self.band.width // self.step


class LitCarrier(models.Model):
    """A wavelength an operator lights itself on a path to sell sub-wavelength circuits on.

    Its capacity is counted in 1.25 Gbit/s tributary slots (ODU0): 80 on a 100G carrier.
    The spectrum it occupies is held by an allocation of the operator.
    """

    path = models.ForeignKey(Path, on_delete=models.PROTECT, related_name="lit_carriers")
    name = models.CharField(max_length=64)
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
    )
    capacity_gbps = models.PositiveIntegerField(
        validators=[MinValueValidator(100)],
        help_text="Line rate: a whole number of 100G (ODU4), e.g. 100 or 400.",
    )
    spectrum_ghz = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("12.5")), MaxValueValidator(Decimal("400"))],
        help_text="The spectrum its transponders take, e.g. 50 for 100G, 75 for 400G.",
    )
    spectrum = models.OneToOneField(
        "leasing.CapacityAllocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lit_carrier",
        help_text="The allocation holding the carrier's own spectrum.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["path", "name"], name="carrier_name_per_path"),
            models.CheckConstraint(
                condition=Q(capacity_gbps__gt=0), name="carrier_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path.code} {self.name} ({self.capacity_gbps}G)"

    def clean(self) -> None:
        if self.operator_id:
            _must_be_operator(self.operator, "operator")
        if self.capacity_gbps and self.capacity_gbps % 100:
            raise ValidationError({"capacity_gbps": "A whole number of 100G, e.g. 100 or 400."})
        if self.pk is not None:
            before = type(self).objects.get(pk=self.pk)
            lit = before.spectrum_id is not None
            moved = (before.path_id, before.capacity_gbps, before.spectrum_ghz) != (
                self.path_id,
                self.capacity_gbps,
                self.spectrum_ghz,
            )
            if lit and moved:
                raise ValidationError(
                    "A lit carrier keeps its path, rate and spectrum; light a new one instead."
                )
            if before.is_active and not self.is_active:
                refuse_if_holding(self.reservations.all(), f"{self}")

    # Sub-wavelength circuits take free tributary slots anywhere.
    step = 1
    grid_offset = 0

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        return Q(operator=operator)

    @property
    def tributary_slots(self) -> int:
        # An ODU4 (100G) has 80 tributary slots of 1.25 Gbit/s.
        return self.capacity_gbps * 4 // 5

    @property
    def band(self) -> UnitRange:
        return UnitRange(0, self.tributary_slots)


class LitCarrierOperator(models.Model):
    """Which operator runs (and sells on) a lit carrier from ``valid_from`` on; ``LitCarrier.
    operator`` is the one today (``leasing.services.inventory.set_carrier_operator``)."""

    carrier = models.ForeignKey(LitCarrier, on_delete=models.CASCADE, related_name="operators")
    operator = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=OPERATORS_ONLY,
    )
    valid_from = models.DateField()

    class Meta:
        ordering = ["carrier", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "valid_from"],
                name="one_operator_per_carrier_and_date",
                violation_error_message="This carrier already has an operator from that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}: {self.operator} from {self.valid_from}"

    def clean(self) -> None:
        if self.operator_id:
            _must_be_operator(self.operator, "operator")


class TransitPortPool(models.Model):
    """The IP transit ports of one speed a PoP can hand over to customers."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="transit_pools")
    port_speed_mbps = models.PositiveIntegerField()
    ports = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["site", "port_speed_mbps"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "port_speed_mbps"], name="one_pool_per_site_and_speed"
            ),
            models.CheckConstraint(condition=Q(ports__gt=0), name="pool_has_ports"),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} {self.port_speed_mbps // 1000}G ports"

    step = 1
    grid_offset = 0

    @classmethod
    def operator_editable(cls, operator: object) -> Q:
        return Q(site__operator=operator)

    @property
    def band(self) -> UnitRange:
        return UnitRange(0, self.ports)


FAR_FUTURE = datetime.date(9999, 12, 31)


def _ends(model: type[models.Model], key: str) -> Subquery:
    """For rows of a dated ``model`` (``valid_from`` per ``key``): the day the next row of the
    same object starts, i.e. the first day the row is no longer in force (None: still is)."""
    return Subquery(
        model.objects.filter(**{key: OuterRef(key), "valid_from__gt": OuterRef("valid_from")})
        .order_by("valid_from")
        .values("valid_from")[:1]
    )


def _during(start_ref: str, end_ref: str | None) -> Q:
    """Rows annotated with ``until`` (``_ends``) in force on a day of [start, end) of the outer
    row, and on a day up to today (nobody sees by an ownership that has not begun)."""
    during = Q(valid_from__lte=timezone.localdate()) & (
        Q(until__isnull=True) | Q(until__gt=OuterRef(start_ref))
    )
    if end_ref:
        far = Value(FAR_FUTURE, output_field=models.DateField())
        during &= Q(valid_from__lt=Coalesce(OuterRef(end_ref), far))
    return during


def route_held_during(
    operator: object,
    *,
    path_ref: str,
    site_ref: str,
    start_ref: str,
    end_ref: str | None = None,
) -> Q:
    """Objects (orders, services, contracts) whose route ``operator`` held a share of on a day
    between the outer row's ``start_ref`` and ``end_ref`` (exclusive; ``None``: open), up to
    today: a share of a segment of the path, or the site it is at. A query (``Exists``), for
    ``operator_visibility``: a former owner keeps seeing what it co-owned while it did."""
    segment_held = (
        SegmentOwnership.objects.annotate(until=_ends(SegmentOwnership, "segment"))
        .filter(_during(start_ref, end_ref))
        .filter(
            shares__operator=operator,
            segment__in=PathSegment.objects.filter(path=OuterRef(OuterRef(path_ref))).values(
                "segment_id"
            ),
        )
    )
    site_held = (
        SiteOwnership.objects.annotate(until=_ends(SiteOwnership, "site"))
        .filter(_during(start_ref, end_ref))
        .filter(operator=operator, site=OuterRef(site_ref))
    )
    # A site with no dated owner yet belongs to its owner today.
    undated_site = Q(**{f"{site_ref}__operator": operator}) & ~Q(
        Exists(SiteOwnership.objects.filter(site=OuterRef(site_ref)))
    )
    return Q(Exists(segment_held)) | Q(Exists(site_held)) | undated_site
