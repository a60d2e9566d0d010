"""What the operators owe each other for a period, and who earned what.

The billing party collects a whole invoice; every other operator's allocation of it is owed to
that operator. A settlement statement nets the two directions of a pair of operators per
currency. Only issued (and paid) invoices count: drafts may still change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from organisations.models import Organisation
from tcfo_portal.money import in_minor_units
from tcfo_portal.pdf import render_pdf

from ..choices import InvoiceStatus
from ..models import CreditAllocation, LineAllocation
from ..periods import parse_period

# Every issued invoice, whatever was paid: a void one (credited in full) counts with its
# credit notes, which are always counted, so it nets to nothing.
FINAL = (
    InvoiceStatus.ISSUED,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.VOID,
)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Statement:
    """A pair of operators in one currency: what each owes the other, and the net."""

    period: str
    first: Organisation  # the pair in name order
    second: Organisation
    currency: str
    first_owes: Decimal  # first's collections that are second's revenue
    second_owes: Decimal

    @property
    def net(self) -> Decimal:
        return abs(self.first_owes - self.second_owes)

    @property
    def payer(self) -> Organisation | None:
        if self.first_owes == self.second_owes:
            return None
        return self.first if self.first_owes > self.second_owes else self.second

    @property
    def payee(self) -> Organisation | None:
        payer = self.payer
        return None if payer is None else (self.second if payer == self.first else self.first)

    def involves(self, operator: Organisation) -> bool:
        return operator in (self.first, self.second)


def _allocations(period: str) -> QuerySet[LineAllocation]:
    parse_period(period)
    return LineAllocation.objects.filter(
        line__invoice__period=period, line__invoice__status__in=FINAL
    )


CURRENCY = "line__credit_note__invoice__currency"


def _credits(period: str) -> QuerySet[CreditAllocation]:
    """Credit notes count against the period of the invoice they correct."""
    parse_period(period)
    return CreditAllocation.objects.filter(line__credit_note__invoice__period=period)


def settlement_statements(*, period: str, operator: Organisation | None = None) -> list[Statement]:
    """The period's statements, one per pair of operators and currency with anything owed
    (only those of ``operator`` when given)."""
    owed: dict[tuple[int, int, str], Decimal] = {}
    rows = (
        _allocations(period)
        .exclude(operator=F("line__invoice__billing_party"))
        .values("line__invoice__billing_party", "operator", "line__invoice__currency")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        debtor, creditor = row["line__invoice__billing_party"], row["operator"]
        currency = row["line__invoice__currency"]
        owed[(debtor, creditor, currency)] = in_minor_units(row["total"], currency)
    for row in (
        _credits(period)
        .exclude(operator=F("line__credit_note__invoice__billing_party"))
        .values("line__credit_note__invoice__billing_party", "operator", CURRENCY)
        .annotate(total=Sum("amount"))
    ):
        key = (row["line__credit_note__invoice__billing_party"], row["operator"], row[CURRENCY])
        owed[key] = owed.get(key, ZERO) - in_minor_units(row["total"], row[CURRENCY])
    operators = Organisation.objects.in_bulk({pk for key in owed for pk in key[:2]})
    pairs: set[tuple[int, int, str]] = set()
    for debtor, creditor, currency in owed:
        a, b = sorted((operators[debtor], operators[creditor]), key=lambda o: (o.name, o.pk))
        pairs.add((a.pk, b.pk, currency))
    statements = [
        Statement(
            period=period,
            first=operators[a],
            second=operators[b],
            currency=currency,
            first_owes=owed.get((a, b, currency), ZERO),
            second_owes=owed.get((b, a, currency), ZERO),
        )
        for a, b, currency in pairs
    ]
    if operator is not None:
        statements = [s for s in statements if s.involves(operator)]
    return sorted(statements, key=lambda s: (s.first.name, s.second.name, s.currency))


def find_statement(
    *, period: str, first: int, second: int, currency: str, operator: Organisation | None
) -> Statement | None:
    """The period's statement of the pair of operators ``first`` and ``second`` (ids, in the
    order statements name them) in ``currency``, if ``operator`` (None: a platform admin) is
    party to it and anything is owed; None otherwise."""
    return next(
        (
            statement
            for statement in settlement_statements(period=period, operator=operator)
            if (statement.first.pk, statement.second.pk, statement.currency)
            == (first, second, currency)
        ),
        None,
    )


def statement_invoices(statement: Statement) -> list[dict]:
    """The invoices behind a statement: per invoice, the part owed each way."""
    rows = (
        _allocations(statement.period)
        .filter(
            line__invoice__currency=statement.currency,
            line__invoice__billing_party__in=[statement.first, statement.second],
            operator__in=[statement.first, statement.second],
        )
        .exclude(operator=F("line__invoice__billing_party"))
        .values("line__invoice__number", "line__invoice__billing_party__name", "operator__name")
        .annotate(total=Sum("amount"))
        .order_by("line__invoice__number", "operator__name")
    )
    result = [
        {
            "number": row["line__invoice__number"],
            "collected_by": row["line__invoice__billing_party__name"],
            "owed_to": row["operator__name"],
            "amount": in_minor_units(row["total"], statement.currency),
        }
        for row in rows
    ]
    note = "line__credit_note__"
    credits = (
        _credits(statement.period)
        .filter(
            **{
                f"{note}invoice__currency": statement.currency,
                f"{note}invoice__billing_party__in": [statement.first, statement.second],
                "operator__in": [statement.first, statement.second],
            }
        )
        .exclude(operator=F(f"{note}invoice__billing_party"))
        .values(f"{note}number", f"{note}invoice__billing_party__name", "operator__name")
        .annotate(total=Sum("amount"))
        .order_by(f"{note}number", "operator__name")
    )
    result += [
        {
            "number": row[f"{note}number"],
            "collected_by": row[f"{note}invoice__billing_party__name"],
            "owed_to": row["operator__name"],
            "amount": -in_minor_units(row["total"], statement.currency),
        }
        for row in credits
    ]
    return result


def revenue_report(
    *, periods: list[str], operator: Organisation | None = None
) -> list[dict[str, object]]:
    """Revenue by operator, product and month (issued invoices less their credit notes, net of
    tax), per currency."""
    for period in periods:
        parse_period(period)
    queryset = LineAllocation.objects.filter(
        line__invoice__period__in=periods, line__invoice__status__in=FINAL
    )
    if operator is not None:
        queryset = queryset.filter(operator=operator)
    rows = (
        queryset.values(
            "operator__name",
            "line__invoice__period",
            "line__invoice__currency",
            product=Coalesce("line__contract__service__product__code", "line__kind"),
        )
        .annotate(total=Sum("amount"))
        .order_by("line__invoice__period", "operator__name", "product", "line__invoice__currency")
    )
    merged: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        key = (
            row["line__invoice__period"],
            row["operator__name"],
            row["product"],
            row["line__invoice__currency"],
        )
        merged[key] += in_minor_units(row["total"], row["line__invoice__currency"])
    credits = CreditAllocation.objects.filter(line__credit_note__invoice__period__in=periods)
    if operator is not None:
        credits = credits.filter(operator=operator)
    invoice = "line__invoice_line__invoice__"
    for row in credits.values(
        "operator__name",
        f"{invoice}period",
        f"{invoice}currency",
        product=Coalesce(
            "line__invoice_line__contract__service__product__code", "line__invoice_line__kind"
        ),
    ).annotate(total=Sum("amount")):
        currency = row[f"{invoice}currency"]
        key = (row[f"{invoice}period"], row["operator__name"], row["product"], currency)
        merged[key] -= in_minor_units(row["total"], currency)
    return [
        {"period": p, "operator": o, "product": pr, "currency": c, "amount": amount}
        for (p, o, pr, c), amount in sorted(merged.items())
    ]


def settlement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF, for both operators' finance teams."""
    return render_pdf(
        "billing/pdf/settlement.html",
        {
            "statement": statement,
            "invoices": statement_invoices(statement),
            "as_of": timezone.now(),
        },
    )
