"""What-if: POST /api/v1/what-if replays events under the current settings and a draft, saving nothing."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from plugin.http_errors import ApiError
from plugin.report_formats import report_row_document
from plugin.services import what_if as service
from plugin.simulate import replay_events_file

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import Instant, ReportRowAnswer

blueprint = api_blueprint("what-if", f"{API_PREFIX}/what-if",
                          "The reports the current settings and a draft give on the same events")


class WhatIfRequest(Schema):
    source = fields.Str(required=True, validate=validate.OneOf(("upload", "stored")),
                        metadata={"description": "upload: the events in `events`; stored: this account's stored "
                                                 f"history of the last `days` days (at most "
                                                 f"{service.MAX_STORED_EVENTS} events, the most recently active "
                                                 "tickets first)"})
    events = fields.Str(load_default=None, allow_none=True,
                        metadata={"description": "webhook bodies, one JSON object per line (the simulator's "
                                                 "format); the whole request is at most 1 MiB"})
    days = fields.Int(load_default=30, validate=validate.Range(1, service.MAX_DAYS),
                      metadata={"description": "stored: how many local days, today the last"})
    draft = fields.Raw(required=True, metadata={"description": "a whole settings document, or only its "
                                                               "sla_policies (a list; the rest as in force)"})

    @validates_schema
    def _events_for_upload(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("source") == "upload" and data.get("events") is None:
            raise ValidationError("the events file's text is required when source is upload", "events")
        if not isinstance(data.get("draft"), dict | list):
            raise ValidationError("must be a settings document (an object) or a list of SLA policies", "draft")


class WhatIfReports(Schema):
    daily = fields.List(fields.Nested(ReportRowAnswer))
    hourly = fields.List(fields.Nested(ReportRowAnswer))

    @pre_dump
    def _documents(self, reports: service.Reports, **_: Any) -> dict[str, Any]:
        return {"daily": [report_row_document(row) for row in reports.daily],
                "hourly": [report_row_document(row) for row in reports.hourly]}


class WhatIfAnswer(Schema):
    current = fields.Nested(WhatIfReports, metadata={"description": "the reports under the settings in force"})
    draft = fields.Nested(WhatIfReports, metadata={"description": "the reports under the draft"})
    events = fields.Int(metadata={"description": "events replayed"})
    tickets = fields.Int(metadata={"description": "tickets they describe"})
    settings_version = fields.Int(metadata={"description": "the version of the settings in force compared"})
    since = Instant(allow_none=True)  # stored history: rows start at or after this instant
    truncated = fields.Bool(metadata={"description": "stored: more events than max_events; the least recently "
                                                     "active tickets were left out"})
    max_events = fields.Int()


@blueprint.post("")
@blueprint.arguments(WhatIfRequest)
@blueprint.response(200, WhatIfAnswer)
def compare(request: dict[str, Any]) -> service.Comparison:
    """The daily and hourly reports of the current settings and of the draft, side by side, as
    ``sla-plugin simulate`` computes them. Nothing is saved (apply a draft with PUT /settings)."""
    source = (service.UploadedEvents(request["events"]) if request["source"] == "upload"
              else service.StoredHistory(request["days"]))
    with tenant_access() as access:  # a dry run: agents may compare too
        try:
            return service.compare(access.uow, access.tenant, source, request["draft"], access.now,
                                   replay_events_file)
        except service.InvalidEvents as error:
            raise ApiError(422, "invalid_events", str(error), problems=error.problems) from None
