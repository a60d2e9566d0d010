"""Portal pages of usage: a service's month with its chart, the CSV of its buckets, uploads."""

from __future__ import annotations

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from leasing.choices import P95Rule
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.formatting import format_date, format_month

from ..charts import usage_chart_svg
from ..forms import UsageUploadForm
from ..periods import PeriodError, add_months, current_period, parse_period, period_span
from ..selectors import ServiceUsage, service_usage, visible_service
from ..services.usage_csv import UsageFileError, ingest_usage_file
from ..services.usage_days import timestamp_text


def _period(request: HttpRequest, time_zone: str) -> str:
    period = request.GET.get("period")
    if period is None:
        return current_period(time_zone, timezone.now())
    parse_period(period)
    return period


def _no_data_reason(found: ServiceUsage) -> str:
    """Why a month has no sample, in the words the usage page shows (empty when it has some)."""
    if found.result.samples:
        return ""
    service = found.usage.service
    start, end = period_span(found.usage.period, service.contract.billing_party.time_zone)
    if start > timezone.now():
        return "This month has not begun yet."
    if end.date() <= service.activated_on:
        return (
            "The service was not active yet: it is ready for service from "
            f"{format_date(service.activated_on)}."
        )
    if service.terminated_on and start.date() >= service.terminated_on:
        return "The service had ended before this month."
    return "No traffic sample has arrived for this month yet."


def _found(request: HttpRequest, circuit_id: str) -> ServiceUsage:
    service = visible_service(request.user, circuit_id)
    if service is None:
        raise Http404("No such service.")
    return service_usage(service, _period(request, service.contract.billing_party.time_zone))


class UsageView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest, circuit_id: str) -> HttpResponse:
        try:
            found = _found(request, circuit_id)
        except PeriodError as error:
            return render(request, "billing/bad_period.html", {"error": error}, status=400)
        usage, result = found.usage, found.result
        zone = usage.service.contract.billing_party.time_zone
        start, end = period_span(usage.period, zone)
        chart = usage_chart_svg(
            start=usage.start,
            in_bps=usage.in_bps,
            out_bps=usage.out_bps,
            p95_bps=result.billable_bps,
            commit_bps=found.commit_bps,
            title=f"{circuit_id} traffic in {format_month(usage.period)}",
            time_zone=zone,
        )
        return render(
            request,
            "billing/usage.html",
            {
                "service": usage.service,
                "period": usage.period,
                "previous": add_months(usage.period, -1),
                "following": add_months(usage.period, 1),
                "result": result,
                "found": found,
                "chart": chart,
                "billing_zone": zone,
                "month_start": start,
                "month_end": end,
                "no_data": _no_data_reason(found),
                "rule": P95Rule(result.rule).label,
            },
        )


class UsageCsvView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest, circuit_id: str) -> HttpResponse:
        try:
            usage = _found(request, circuit_id).usage
        except PeriodError as error:
            return HttpResponse(str(error), status=400, content_type="text/plain")
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{circuit_id}-{usage.period}.csv"'
        writer = csv.writer(response)
        writer.writerow(["circuit_id", "ts", "in_bps", "out_bps"])
        present = usage.present
        for ts, in_bps, out_bps in zip(
            usage.timestamps()[present], usage.in_bps[present], usage.out_bps[present], strict=True
        ):
            writer.writerow([circuit_id, timestamp_text(int(ts)), int(in_bps), int(out_bps)])
        return response


class UsageUploadView(CapabilityRequiredMixin, View):
    """Operators feed a CSV file of samples (the same columns as the API's): the good rows are
    stored, each refused row is listed with its line and why."""

    required_capability = Capability.INGEST_USAGE

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "billing/upload.html", {"form": UsageUploadForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UsageUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, "billing/upload.html", {"form": form}, status=400)
        try:
            result = ingest_usage_file(data=form.cleaned_data["file"].read(), actor=request.user)
        except UsageFileError as error:
            form.add_error("file", error.detail)
            return render(request, "billing/upload.html", {"form": form}, status=400)
        return render(
            request,
            "billing/upload.html",
            {"form": UsageUploadForm(), "result": result, "refused": result.refused[:200]},
        )
