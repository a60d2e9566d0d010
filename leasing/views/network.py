"""Portal pages of the network and catalog: thin views over selectors and services."""

from __future__ import annotations

from functools import partial
from itertools import groupby
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from organisations.access import has_capability
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import add_domain_error, submit
from tcfo_portal.lists import column, portal_list

from ..api.views import OutageViewSet
from ..filtersets import OutageFilterSet
from ..forms import (
    AvailabilityForm,
    CorrectOutageForm,
    EndOutageForm,
    OnDateForm,
    OutageForm,
)
from ..models import FiberPair, Outage, Product, Site
from ..selectors import (
    chain_of,
    fiber_pair_utilisation,
    outages_for,
    ownership_on,
    path_utilisation,
    paths_with_segments,
    prices_valid_on,
    spectrum_held,
)
from ..services.capacity import check_availability
from ..services.orders import may_ask_for_quotes
from ..services.outages import correct_outage, end_outage, outage_segments, record_outage
from ..svg import operator_colours, route_svg, spectrum_map_svg


class OnDateMixin:
    """Pages that describe the network on a day (``?date=``); a bad date is a 400."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = OnDateForm(request.GET)
        if not form.is_valid():
            return render(request, "leasing/bad_date.html", {"form": form}, status=400)
        self.on = form.on()
        self.date_form = form
        return super().dispatch(request, *args, **kwargs)


class CatalogView(CapabilityRequiredMixin, OnDateMixin, View):
    required_capability = Capability.VIEW_CATALOG

    def get(self, request: HttpRequest) -> HttpResponse:
        prices = prices_valid_on(self.on).select_related("path", "site", "product")
        products = Product.objects.filter(is_active=True).prefetch_related(
            Prefetch(
                "prices",
                queryset=prices.order_by("path__code", "site__code", "term_months"),
                to_attr="current_prices",
            )
        )
        catalog = []
        for product in products:
            places = []
            for place, rows in groupby(product.current_prices, key=lambda p: p.path or p.site):
                places.append({"place": place, "prices": list(rows)})
            catalog.append({"product": product, "places": places})
        return render(
            request,
            "leasing/catalog.html",
            {
                "catalog": catalog,
                "on": self.on,
                "date_form": self.date_form,
                "may_quote": may_ask_for_quotes(request.user),
            },
        )


class AvailabilityView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_CATALOG

    def get(self, request: HttpRequest) -> HttpResponse:
        form = AvailabilityForm(request.GET or None)
        result, status = None, 200
        if form.is_bound:
            if form.is_valid():
                data = form.cleaned_data
                product = data["product"]
                try:
                    result = check_availability(
                        product=product,
                        start_date=data["start_date"],
                        path=data["path"],
                        site=data["site"],
                    )
                except DomainError as error:
                    add_domain_error(form, error)
                    status = 400
            else:
                status = 400
        return render(
            request,
            "leasing/availability.html",
            {
                "form": form,
                "result": result,
                "may_quote": may_ask_for_quotes(request.user),
            },
            status=status,
        )


class NetworkView(CapabilityRequiredMixin, OnDateMixin, View):
    required_capability = Capability.VIEW_CATALOG

    def get(self, request: HttpRequest) -> HttpResponse:
        paths = list(paths_with_segments().filter(is_active=True))
        return render(
            request,
            "leasing/network.html",
            {
                "paths": [{"path": p, "svg": route_svg(p, on=self.on)} for p in paths],
                "sites": Site.objects.filter(is_active=True).select_related("operator"),
                "on": self.on,
                "date_form": self.date_form,
            },
        )


class PathView(CapabilityRequiredMixin, OnDateMixin, View):
    required_capability = Capability.VIEW_CATALOG

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        path = get_object_or_404(paths_with_segments(), code=code, is_active=True)
        segments = chain_of(path)
        fiber_pairs = FiberPair.objects.filter(segment__in=segments, is_active=True).order_by(
            "name"
        )
        rows = []
        owners_seen = []
        for segment in segments:
            owners = sorted(ownership_on(segment, self.on).items(), key=lambda kv: kv[0].name)
            owners_seen += [operator for operator, _ in owners]
            rows.append(
                {
                    "segment": segment,
                    "owners": owners,
                    "fiber_pairs": [fp for fp in fiber_pairs if fp.segment_id == segment.pk],
                }
            )
        colours = operator_colours(owners_seen)
        for row in rows:
            row["owners"] = [(o, pct, colours[o.pk]) for o, pct in row["owners"]]
        return render(
            request,
            "leasing/path.html",
            {
                "path": path,
                "svg": route_svg(path, on=self.on),
                "rows": rows,
                "length_km": sum(s.length_km for s in segments),
                "on": self.on,
                "date_form": self.date_form,
            },
        )


class SpectrumMapView(CapabilityRequiredMixin, OnDateMixin, View):
    """A fiber pair's spectrum: operators see who holds what, customers only free or taken."""

    required_capability = Capability.VIEW_CATALOG

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        fiber_pair = get_object_or_404(
            FiberPair.objects.select_related("segment"), pk=pk, is_active=True
        )
        detailed = has_capability(request.user, Capability.VIEW_INVENTORY)
        held = spectrum_held([fiber_pair], self.on)[fiber_pair.pk]
        return render(
            request,
            "leasing/spectrum_map.html",
            {
                "fiber_pair": fiber_pair,
                "svg": spectrum_map_svg(fiber_pair, held, on=self.on, detailed=detailed),
                "held": held if detailed else None,
                "detailed": detailed,
                "on": self.on,
                "date_form": self.date_form,
            },
        )


class UtilisationView(CapabilityRequiredMixin, OnDateMixin, View):
    required_capability = Capability.VIEW_INVENTORY

    def get(self, request: HttpRequest) -> HttpResponse:
        paths = list(paths_with_segments().filter(is_active=True))
        return render(
            request,
            "leasing/utilisation.html",
            {
                "fiber_pairs": fiber_pair_utilisation(self.on),
                "paths": path_utilisation(paths, self.on),
                "on": self.on,
                "date_form": self.date_form,
            },
        )


OUTAGE_CSV = [
    column("id", "pk"),
    column("segment", "segment.code"),
    column("started_at"),
    column("ended_at"),
    column("description"),
    column("recorded_by"),
]


class OutagesView(CapabilityRequiredMixin, View):
    """Network staff record the outages of the segments their operator owns a share of, and
    end or correct them (``OutageView``)."""

    required_capability = Capability.MANAGE_INVENTORY

    def _page(self, request: HttpRequest, form: OutageForm, status: int = 200) -> HttpResponse:
        listing = portal_list(
            request,
            outages_for(request.user).order_by("-started_at", "-pk"),
            filterset_class=OutageFilterSet,
            ordering_fields=OutageViewSet.ordering_fields,
            search_fields=("segment__code", "description", "recorded_by"),
        )
        if listing.wants_csv:
            return listing.csv("outages", OUTAGE_CSV)
        return render(
            request,
            "leasing/outages.html",
            {"form": form, "list": listing},
            status=max(status, listing.status),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, OutageForm(segments=outage_segments(request.user)))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OutageForm(request.POST, segments=outage_segments(request.user))
        if not submit(form, partial(record_outage, actor=request.user)):
            return self._page(request, form, status=400)
        messages.success(request, "Outage recorded.")
        return redirect("outages")


class OutageView(CapabilityRequiredMixin, View):
    """One outage with its history, and the forms to end it (while open) and to correct it.

    ``action`` is ``None`` for the page, ``"end"`` or ``"correct"`` for the forms' posts; a form
    with errors comes back with what was typed (400).
    """

    required_capability = Capability.MANAGE_INVENTORY
    action: str | None = None

    def _page(
        self,
        request: HttpRequest,
        outage: Outage,
        end_form: EndOutageForm | None = None,
        correct_form: CorrectOutageForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        if end_form is None and outage.ended_at is None:
            end_form = EndOutageForm()
        context = {
            "outage": outage,
            "history": outage.changes.all(),
            "end_form": end_form if outage.ended_at is None else None,
            "correct_form": correct_form or CorrectOutageForm.for_outage(outage),
        }
        return render(request, "leasing/outage.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        outage = get_object_or_404(Outage.objects.select_related("segment"), pk=pk)
        return self._page(request, outage)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if self.action is None:
            return self.http_method_not_allowed(request)
        outage = get_object_or_404(Outage.objects.select_related("segment"), pk=pk)
        if self.action == "end":
            form: forms.Form = EndOutageForm(request.POST)
            if submit(form, partial(end_outage, outage=outage, actor=request.user)):
                messages.success(request, "Outage ended.")
                return redirect("outage", pk=outage.pk)
            return self._page(request, outage, end_form=form, status=400)
        form = CorrectOutageForm(request.POST)
        if submit(form, partial(correct_outage, outage=outage, actor=request.user)):
            messages.success(request, "Outage corrected.")
            return redirect("outage", pk=outage.pk)
        return self._page(request, outage, correct_form=form, status=400)
