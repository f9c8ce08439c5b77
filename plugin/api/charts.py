"""The report as a chart: GET /api/v1/reports/hourly/chart and /daily/chart (image/svg+xml)."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import RAISE

from plugin.domain.reports import Period
from plugin.services.charts import report_chart

from .access import tenant_access
from .reports import blueprint
from .schemas import ReportQuery

_SVG = {200: {"description": "the chart (SVG with a title and a description)",
              "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}


class ChartQuery(ReportQuery):
    """The report's filters; the chart has one format."""

    class Meta:
        exclude = ("format",)


@blueprint.get("/hourly/chart")
@blueprint.arguments(ChartQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.doc(responses=_SVG)
def hourly_chart(query: dict[str, Any]) -> Response:
    """Achieved against targeted success rate per hour, one panel per policy and metric (SVG)."""
    return _chart("hourly", query)


@blueprint.get("/daily/chart")
@blueprint.arguments(ChartQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.doc(responses=_SVG)
def daily_chart(query: dict[str, Any]) -> Response:
    """Achieved against targeted success rate per day, one panel per policy and metric (SVG)."""
    return _chart("daily", query)


def _chart(period: Period, query: dict[str, Any]) -> Response:
    with tenant_access() as access:
        svg = report_chart(access.uow, access.tenant, period, query["since"], query["until"], query["policy"],
                           query["metric"])
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
