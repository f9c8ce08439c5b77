"""Reports: GET /api/v1/reports/hourly, /daily (JSON or CSV) and /at-risk."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from marshmallow import RAISE

from plugin.domain.reports import Period
from plugin.report_formats import at_risk_csv, report_csv, report_row_document
from plugin.services import queries

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import AtRiskAnswer, AtRiskQuery, ReportAnswer, ReportQuery

blueprint = api_blueprint("reports", f"{API_PREFIX}/reports", "Achieved against targeted success rates")
_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}


@blueprint.get("/hourly")
@blueprint.arguments(ReportQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.alt_response(200, schema=ReportAnswer, success=True)
@blueprint.doc(responses={200: _CSV})
def hourly_report(query: dict[str, Any]) -> Response | dict[str, Any]:
    """One row per hour (of the settings' time zone), policy and metric with a decided target."""
    return _report("hourly", query)


@blueprint.get("/daily")
@blueprint.arguments(ReportQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.alt_response(200, schema=ReportAnswer, success=True)
@blueprint.doc(responses={200: _CSV})
def daily_report(query: dict[str, Any]) -> Response | dict[str, Any]:
    """One row per day (of the settings' time zone), policy and metric with a decided target."""
    return _report("daily", query)


@blueprint.get("/at-risk")
@blueprint.arguments(AtRiskQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.response(200, AtRiskAnswer)
@blueprint.doc(responses={200: _CSV})
def at_risk(query: dict[str, Any]) -> Response | dict[str, Any]:
    """Running targets inside their warning window now, the soonest due first (JSON or CSV)."""
    with tenant_access() as access:
        targets = queries.at_risk_targets(access.uow, access.tenant, access.now)
    if _wants_csv(query["format"]):
        return Response(at_risk_csv(targets), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="sla-at-risk.csv"'})
    return {"as_of": access.now, "targets": targets}


def _report(period: Period, query: dict[str, Any]) -> Response | dict[str, Any]:
    with tenant_access() as access:
        rows = queries.report_rows(access.uow, access.tenant, period, query["since"], query["until"],
                                   query["policy"], query["metric"])
    if _wants_csv(query["format"]):
        return Response(report_csv({period: rows}), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="sla-report-{period}.csv"'})
    return {"rows": [report_row_document(row) for row in rows]}


def _wants_csv(format_parameter: str | None) -> bool:
    if format_parameter is not None:
        return format_parameter == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
