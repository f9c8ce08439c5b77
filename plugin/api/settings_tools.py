"""What the settings pages ask beside the items themselves: why a rule fires (POST /rules/explain), a
calendar's open hours day by day (POST /calendars/preview), the time zones a calendar may use
(GET /timezones) and a country's public holidays (GET /holidays, GET /holidays/countries)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import holidays as holiday_data
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from plugin.domain.events import TicketSnapshot
from plugin.domain.rule_trace import RuleCheck
from plugin.services import calendar_views, rule_tester
from plugin.settings.schemas import ID_LENGTH

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .items import calendars, rules
from .schemas import MAX_SAMPLE_TAGS, SAMPLE_NAME, SAMPLE_TEXT, Instant

blueprint = api_blueprint("settings_tools", API_PREFIX, "Time zones and public holidays, for the calendars page")

_HOLIDAY_COUNTRIES = sorted(holiday_data.list_supported_countries())  # two- and three-letter codes, as presets take
_KNOWN_COUNTRIES = frozenset(_HOLIDAY_COUNTRIES)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
FIRST_DAY, LAST_DAY = date(1970, 1, 2), date(8999, 12, 1)
MAX_PREVIEW_DAYS = 31
SEEN_VALUES, SEEN_CHARACTERS = 20, 200  # of what a ticket had, per condition in an explanation


# -- rule explanations ---------------------------------------------------------------------------
class TesterRequester(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)
    email = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)


class TesterTicket(Schema):
    """A sample ticket: the fields of the host's ticket object that rules read (docs/protocol.md); its
    other fields (id, status, created_at, …) may be sent and are not read."""

    class Meta:
        unknown = EXCLUDE

    product = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)
    channel = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)
    subject = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_TEXT)
    body = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_TEXT)
    requester = fields.Nested(TesterRequester, load_default=None, allow_none=True)
    tags = fields.List(fields.Str(validate=SAMPLE_NAME), load_default=None, allow_none=True,
                       validate=validate.Length(max=MAX_SAMPLE_TAGS))


class CheckedCondition(Schema):
    field = fields.Str()
    op = fields.Str()
    value = fields.Raw(metadata={"description": "a string, or a list of strings for 'in'"})
    holds = fields.Bool()
    seen = fields.List(fields.Str(), metadata={"description": "the ticket's values of the field"})


class TriedRule(Schema):
    id = fields.Str()
    name = fields.Str()
    product = fields.Str()
    channel = fields.Str()
    position = fields.Int()
    match = fields.Str()
    in_scope = fields.Bool(metadata={"description": "the rule is for the ticket's product and channel"})
    fires = fields.Bool()
    conditions = fields.List(fields.Nested(CheckedCondition))


class RuleExplanationAnswer(Schema):
    rule = fields.Str(allow_none=True, metadata={"description": "the rule that fires; null: none, so priority low"})
    rule_name = fields.Str(allow_none=True)
    priority = fields.Str()
    policy = fields.Str(allow_none=True, metadata={"description": "the SLA policy a ticket so prioritized gets"})
    policy_name = fields.Str(allow_none=True)
    reason = fields.Str(metadata={"description": "why, in words"})
    tried = fields.List(fields.Nested(TriedRule), metadata={"description": "the rules in the order they are tried, "
                                                                           "up to the one that fires"})


@rules.post("/explain")
@rules.arguments(TesterTicket, required=False)
@rules.response(200, RuleExplanationAnswer)
def explain_rules(ticket: dict[str, Any]) -> dict[str, Any]:
    """Which rule would prioritize a new ticket like this one, why (each condition, held or not), and
    the SLA policy that would then apply. Agents may call it: it changes nothing."""
    requester = ticket["requester"] or {}
    snapshot = TicketSnapshot(
        id="rule-test", product=ticket["product"], channel=ticket["channel"], subject=ticket["subject"] or "",
        body=ticket["body"] or "", requester_name=requester.get("name") or "",
        requester_email=requester.get("email") or "", tags=tuple(ticket["tags"] or ()),
    )
    with tenant_access() as access:
        explanation = rule_tester.explain_rules(access.uow, access.tenant, snapshot)
    trace, policy = explanation.trace, explanation.policy
    rule = trace.decision.rule
    return {"rule": rule.id if rule else None, "rule_name": (rule.name or rule.id) if rule else None,
            "priority": trace.decision.priority, "policy": policy.id if policy else None,
            "policy_name": (policy.name or policy.id) if policy else None, "reason": trace.reason,
            "tried": [_tried(check) for check in trace.tried]}


def _tried(check: RuleCheck) -> dict[str, Any]:
    """A rule tried; its conditions only if it is one of the ticket's product and channel (the others are
    skipped unread), each with at most SEEN_VALUES of what the ticket had, cut at SEEN_CHARACTERS."""
    rule = check.rule
    return {"id": rule.id, "name": rule.name, "product": rule.product, "channel": rule.channel,
            "position": rule.position, "match": rule.match, "in_scope": check.in_scope, "fires": check.fires,
            "conditions": [{"field": item.condition.field, "op": item.condition.op,
                            "value": list(item.condition.value) if isinstance(item.condition.value, tuple)
                            else item.condition.value, "holds": item.holds,
                            "seen": [_cut(value) for value in item.seen[:SEEN_VALUES]]}
                           for item in check.conditions] if check.in_scope else []}


def _cut(value: str) -> str:
    return value if len(value) <= SEEN_CHARACTERS else value[:SEEN_CHARACTERS] + "…"


# -- a calendar's open hours -----------------------------------------------------------------------
class PlainDate(fields.Field):
    """A date written YYYY-MM-DD, and no other form date.fromisoformat reads."""

    def __init__(self, **options: Any) -> None:
        super().__init__(metadata={"type": "string", "format": "date", "example": "2027-03-08",
                                   **options.pop("metadata", {})}, **options)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValidationError("must be a date, YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{value!r} is not a date of the calendar") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(f"must lie between {FIRST_DAY} and {LAST_DAY}")
        return day


_CALENDAR_ID_OR_DRAFT = {
    "anyOf": [{"type": "string", "minLength": 1, "maxLength": ID_LENGTH},
              {"$ref": "#/components/schemas/CalendarBody"}],
    "description": "a saved calendar's id, or a draft calendar object (checked as the calendars endpoints check one)",
}


class CalendarPreviewRequest(Schema):
    calendar = fields.Raw(required=True, metadata={"openapi": _CALENDAR_ID_OR_DRAFT})
    since = PlainDate(data_key="from", load_default=None,
                      metadata={"description": f"the first local day, {FIRST_DAY} to {LAST_DAY}; default: today in "
                                               "the calendar's zone"})
    days = fields.Int(load_default=14, strict=True, validate=validate.Range(min=1, max=MAX_PREVIEW_DAYS))

    @validates_schema
    def _calendar_id_or_object(self, data: dict[str, Any], **_: Any) -> None:
        calendar = data.get("calendar")
        if not (isinstance(calendar, dict) or (isinstance(calendar, str) and 0 < len(calendar) <= ID_LENGTH)):
            raise ValidationError("must be a calendar id or a calendar object", "calendar")
        if isinstance(calendar, dict) and not isinstance(calendar.get("id"), str):  # its problems are told by its id
            raise ValidationError("a draft calendar needs its id (a string)", "calendar")


class OpenWindowAnswer(Schema):
    opens = fields.Str(metadata={"description": "local time, HH:MM"})
    closes = fields.Str(metadata={"description": "local time, HH:MM; 24:00 at the end of the day"})
    opens_at = Instant()
    closes_at = Instant()


class OpenDayAnswer(Schema):
    date = fields.Date(attribute="day")
    weekday = fields.Str()
    starts_at = Instant()
    ends_at = Instant()
    holiday = fields.Function(lambda day: day.holiday is not None, metadata={"type": "boolean"})
    holiday_name = fields.Function(lambda day: day.holiday or None,
                                   metadata={"type": "string", "nullable": True})
    open_seconds = fields.Int()
    windows = fields.List(fields.Nested(OpenWindowAnswer))


class OffsetChangeAnswer(Schema):
    at = Instant()
    date = fields.Date(attribute="day")
    direction = fields.Str(metadata={"enum": ["forward", "back"]})
    offset_before = fields.Int(metadata={"description": "seconds east of UTC"})
    offset_after = fields.Int()
    local_before = fields.Str(metadata={"description": "the local time shown as the change happens"})
    local_after = fields.Str(metadata={"description": "the local time the clocks are set to"})


class CalendarPreviewAnswer(Schema):
    calendar = fields.Str()
    timezone = fields.Str()
    first = fields.Date(data_key="from")
    days = fields.List(fields.Nested(OpenDayAnswer))
    offset_changes = fields.List(fields.Nested(OffsetChangeAnswer),
                                 metadata={"description": "changes of the zone's UTC offset (DST) in the range"})


@calendars.post("/preview")
@calendars.arguments(CalendarPreviewRequest)
@calendars.response(200, CalendarPreviewAnswer)
def preview_calendar(preview: dict[str, Any]) -> calendar_views.CalendarPreview:
    """Each local day's open windows (local and UTC), its holiday, and the UTC offset changes of the
    range, for a saved calendar or a draft. Agents may call it: it changes nothing."""
    with tenant_access() as access:
        return calendar_views.preview_calendar(access.uow, access.tenant, preview["calendar"], preview["since"],
                                               preview["days"], access.now)


# -- time zones and public holidays ----------------------------------------------------------------
class TimezoneList(Schema):
    timezones = fields.List(fields.Str(), metadata={"description": "IANA names, sorted"})


@blueprint.get("/timezones")
@blueprint.response(200, TimezoneList)
def list_timezones() -> dict[str, Any]:
    """The time zones a calendar (or the settings) may name."""
    return {"timezones": list(calendar_views.timezones())}


def _known_country(code: str) -> None:
    if code not in _KNOWN_COUNTRIES:
        hint = f" (did you mean {code.upper()!r}?)" if code.upper() in _KNOWN_COUNTRIES else ""
        raise ValidationError(f"{code!r} is not a country the holidays package knows{hint}; use an ISO 3166-1 code "
                              "such as TR, US or DE (GET /api/v1/holidays/countries lists them)")


class HolidayQuery(Schema):
    country = fields.Str(required=True, validate=_known_country, metadata={"enum": _HOLIDAY_COUNTRIES})
    year = fields.Int(required=True, validate=validate.Range(min=1970, max=2100))
    subdivision = fields.Str(load_default=None, metadata={"description": "one of the country's subdivisions, as "
                                                                         "the holidays package names them"})

    @validates_schema
    def _known_subdivision(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("subdivision") is None or data.get("country") not in _KNOWN_COUNTRIES:
            return
        try:
            holiday_data.country_holidays(data["country"], subdiv=data["subdivision"])
        except NotImplementedError:
            raise ValidationError(f"{data['country']} has no subdivision {data['subdivision']!r}",
                                  "subdivision") from None


class NamedHolidayAnswer(Schema):
    date = fields.Date(attribute="day")
    name = fields.Str()


class HolidayList(Schema):
    country = fields.Str()
    year = fields.Int()
    subdivision = fields.Str(allow_none=True)
    holidays = fields.List(fields.Nested(NamedHolidayAnswer))


@blueprint.get("/holidays")
@blueprint.arguments(HolidayQuery, location="query", error_status_code=400, unknown=RAISE)
@blueprint.response(200, HolidayList)
def list_holidays(query: dict[str, Any]) -> dict[str, Any]:
    """A country's public holidays of one year (names in English where the package has them), to copy
    into a calendar's own holidays; a calendar's ``holiday_preset`` follows them every year instead."""
    found = calendar_views.public_holidays(query["country"], query["year"], query["subdivision"])
    return {**query, "holidays": found}


class HolidayCountryAnswer(Schema):
    code = fields.Str()
    name = fields.Str()
    subdivisions = fields.List(fields.Str())


class HolidayCountryList(Schema):
    countries = fields.List(fields.Nested(HolidayCountryAnswer))


@blueprint.get("/holidays/countries")
@blueprint.response(200, HolidayCountryList)
def list_holiday_countries() -> dict[str, Any]:
    """The countries whose public holidays the plugin knows, by name."""
    return {"countries": calendar_views.holiday_countries()}
