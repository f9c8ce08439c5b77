"""marshmallow schemas for the settings document (design.md §5): shape and field-level checks.

The admin API's OpenAPI document is derived from these schemas (``plugin.api.openapi``), so each
constraint is stated where apispec can read it: a validator it translates, else ``metadata``
(an ``enum``, a ``pattern``, ``"openapi"`` for the field's whole schema), and in ``description``
what JSON Schema cannot say (windows in order, a rule for the policy's product and channel).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar
from zoneinfo import available_timezones

import holidays as holiday_data
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from plugin.domain.calendar import WEEKDAYS, parse_clock_time
from plugin.domain.events import PRIORITIES, STATUSES
from plugin.domain.policies import METRICS
from plugin.domain.rules import CONDITION_FIELDS, OPERATORS

PAUSABLE_STATUSES = tuple(status for status in STATUSES if status not in ("solved", "closed"))
_NON_EMPTY = validate.Length(min=1)
ID_LENGTH = 200  # what the stores keep of an id (plugin.store.limits.IDENTIFIER_LENGTH)
_AN_ID = validate.Length(min=1, max=ID_LENGTH)
_A_NAME = validate.Length(max=200)
_A_REQUIRED_NAME = validate.Length(min=1, max=200)
_A_DESCRIPTION = validate.Length(max=2000)
# The zones the API takes are listed in its document; "localtime" is this machine's zone, no name.
TIMEZONES = tuple(sorted(available_timezones() - {"localtime"}))
_KNOWN_TIMEZONES = frozenset(TIMEZONES)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CLOCK_TIME_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


class StrictBool(fields.Boolean):
    """true or false, and nothing that merely looks like one ("0", 1, "yes")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class StrictNumber(fields.Float):
    """A JSON number, and nothing that merely looks like one ("80", true)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a number")
        return super()._deserialize(value, attr, data, **kwargs)


MAX_TARGET_MINUTES = 366 * 24 * 60


def validate_timezone(name: str) -> None:
    if name not in _KNOWN_TIMEZONES:
        raise ValidationError(f"unknown IANA time zone {name!r}")


def timezone_field(**options: Any) -> fields.Str:
    """An IANA time zone name; the document lists them all (``enum``)."""
    return fields.Str(validate=validate_timezone, metadata={"enum": list(TIMEZONES), **options.pop("metadata", {})},
                      **options)


_DATE_SCHEMA = {"type": "string", "format": "date"}


class HolidayField(fields.Field):
    """An ISO date, or ``{"date": ISO, "name": text}``; loads as ``(date, name)``."""

    def __init__(self, **options: Any) -> None:
        named = {"type": "object", "properties": {"date": _DATE_SCHEMA, "name": {"type": "string"}},
                 "required": ["date"], "additionalProperties": False}
        super().__init__(metadata={"openapi": {"anyOf": [_DATE_SCHEMA, named],
                                               "description": "a date (YYYY-MM-DD), or a named one"}}, **options)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[date, str]:
        if isinstance(value, dict):
            unknown = set(value) - {"date", "name"}
            if unknown:
                raise ValidationError(f"unknown key(s) {sorted(unknown)}; a holiday has date and name")
            text, name = value.get("date"), value.get("name", "")
        else:
            text, name = value, ""
        if not isinstance(text, str) or not isinstance(name, str):
            raise ValidationError("a holiday is an ISO date or {\"date\": ISO date, \"name\": text}")
        if not _ISO_DATE.fullmatch(text):  # nor the other forms date.fromisoformat reads (20260101, 2026-W01-1)
            raise ValidationError(f"{text!r} is not an ISO date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(text), name
        except ValueError as error:
            raise ValidationError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        day, name = value
        return {"date": day.isoformat(), "name": name} if name else day.isoformat()


class HolidayPresetSchema(Schema):
    """National holidays from the ``holidays`` package: country code and optional subdivision."""

    country = fields.Str(required=True, metadata={"enum": sorted(holiday_data.list_supported_countries())})
    subdivision = fields.Str(load_default=None, allow_none=True,
                             metadata={"description": "one of the country's subdivisions, as the holidays package "
                                                      "names them (case matters)"})

    @validates_schema
    def _known_country(self, data: dict[str, Any], **_: Any) -> None:
        try:
            holiday_data.country_holidays(data["country"], subdiv=data["subdivision"])
        except NotImplementedError as error:
            raise ValidationError(str(error), "country") from error


_WINDOW = {"type": "array", "items": {"type": "string", "pattern": CLOCK_TIME_PATTERN}, "minItems": 2, "maxItems": 2,
           "description": "[open, close) in HH:MM; 24:00 closes at midnight"}
# Business-time work grows with the windows a calendar has in the five years a target may span:
# 48 a day (one every half hour) is more than any real calendar and keeps the worst one fast.
MAX_WINDOWS_PER_DAY = 48
_WEEK_HOURS = {
    "type": "object",
    "properties": {day: {"type": "array", "items": _WINDOW, "maxItems": MAX_WINDOWS_PER_DAY} for day in WEEKDAYS},
    "additionalProperties": False,
    "minProperties": 1,
    "description": "each weekday's opening windows (days not listed are closed): each window opens before it "
                   "closes, and a day's windows are in order and do not overlap; at least one day has a window",
}


class CalendarSchema(Schema):
    id = fields.Str(required=True, validate=_AN_ID)
    name = fields.Str(load_default="", validate=_A_NAME)
    timezone = timezone_field(required=True)
    hours = fields.Dict(
        keys=fields.Str(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(fields.List(fields.Str(), validate=validate.Length(equal=2)),
                           validate=validate.Length(max=MAX_WINDOWS_PER_DAY,
                                                    error=f"a day has at most {MAX_WINDOWS_PER_DAY} windows")),
        required=True,
        metadata={"openapi": _WEEK_HOURS},
    )
    holidays = fields.List(HolidayField(), load_default=list)
    holiday_preset = fields.Nested(HolidayPresetSchema, load_default=None, allow_none=True)

    @validates_schema
    def _windows_in_order(self, data: dict[str, Any], **_: Any) -> None:
        problems: dict[str, list[str]] = {}
        for day, windows in data.get("hours", {}).items():
            previous_close = -1
            for open_text, close_text in windows:
                try:
                    opens, closes = parse_clock_time(open_text), parse_clock_time(close_text)
                except ValueError as error:
                    problems.setdefault(day, []).append(str(error))
                    continue
                if opens >= closes or opens == 86_400:
                    problems.setdefault(day, []).append(f"window {open_text}–{close_text} is reversed or empty")
                elif opens < previous_close:
                    problems.setdefault(day, []).append(f"window {open_text}–{close_text} overlaps the one before")
                previous_close = max(previous_close, closes)
        if problems:
            raise ValidationError({"hours": problems})
        if not any(data.get("hours", {}).values()):
            raise ValidationError("a calendar needs at least one opening window", "hours")


def _condition_schema(operators: list[str], value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"field": {"type": "string", "enum": list(CONDITION_FIELDS)},
                                             "op": {"type": "string", "enum": operators}, "value": value},
            "required": ["field", "op", "value"], "additionalProperties": False}


_CONDITIONS = {"type": "array", "items": {"oneOf": [
    _condition_schema(["in"], {"type": "array", "items": {"type": "string"}, "minItems": 1}),
    _condition_schema([op for op in OPERATORS if op != "in"], {"type": "string", "minLength": 1}),
]}, "description": "'in' takes a non-empty list of strings, every other operator a non-empty string"}


class ConditionSchema(Schema):
    field = fields.Str(required=True, validate=validate.OneOf(CONDITION_FIELDS))
    op = fields.Str(required=True, validate=validate.OneOf(OPERATORS))
    value = fields.Raw(required=True)

    @validates_schema
    def _value_fits_operator(self, data: dict[str, Any], **_: Any) -> None:
        value = data.get("value")
        if data.get("op") == "in":
            if not (isinstance(value, list) and value and all(isinstance(item, str) for item in value)):
                raise ValidationError("operator 'in' takes a non-empty list of strings", "value")
        elif not isinstance(value, str) or not value:
            raise ValidationError(f"operator {data.get('op')!r} takes a non-empty string", "value")


class RuleSchema(Schema):
    id = fields.Str(required=True, validate=_AN_ID)
    name = fields.Str(load_default="", validate=_A_NAME)
    product = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    channel = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    position = fields.Int(load_default=0, strict=True,
                          metadata={"description": "rules of one product and channel are tried in position order; "
                                                   "no two of them share a position"})
    match = fields.Str(load_default="all", validate=validate.OneOf(("all", "any")))
    conditions = fields.List(fields.Nested(ConditionSchema), load_default=list, metadata={"openapi": _CONDITIONS})
    priority = fields.Str(required=True, validate=validate.OneOf(PRIORITIES))


class TargetSchema(Schema):
    metric = fields.Str(required=True, validate=validate.OneOf(METRICS))
    # At most a year of business minutes: far beyond any real SLA, and every due instant stays representable.
    minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=MAX_TARGET_MINUTES))
    success_rate_percent = StrictNumber(required=True, validate=validate.Range(min=0, max=100))


class PolicySchema(Schema):
    class Meta:
        # For the API's document (plugin.api.openapi): the two kinds of warning exclude each other.
        openapi: ClassVar[dict[str, Any]] = {"not": {
            "required": ["warn_before_minutes", "warn_before_percent"],
            "properties": {"warn_before_minutes": {"type": "integer"}, "warn_before_percent": {"type": "number"}}}}

    id = fields.Str(required=True, validate=_AN_ID)
    name = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    description = fields.Str(load_default="", validate=_A_DESCRIPTION)
    product = fields.Str(required=True, validate=_A_REQUIRED_NAME,
                         metadata={"description": "a prioritization rule for this product and channel (or '*') "
                                                  "comes first"})
    channel = fields.Str(required=True, validate=_A_REQUIRED_NAME, metadata={"description": "see product"})
    priority = fields.Str(required=True, validate=validate.OneOf(PRIORITIES),
                          metadata={"description": "one enabled policy per product, channel and priority"})
    calendar = fields.Str(load_default=None, allow_none=True,
                          metadata={"description": "the id of a calendar of the same settings; null: around the "
                                                   "clock"})
    targets = fields.List(fields.Nested(TargetSchema), required=True, validate=_NON_EMPTY,
                          metadata={"maxItems": len(METRICS), "description": "one target per metric"})
    pause_statuses = fields.List(
        fields.Str(validate=validate.OneOf(PAUSABLE_STATUSES)), load_default=lambda: ["pending", "on_hold"]
    )
    warn_before_minutes = fields.Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0),
                                     metadata={"maximum": MAX_TARGET_MINUTES - 1,
                                               "description": "less than the policy's shortest target; not with "
                                                              "warn_before_percent"})
    warn_before_percent = StrictNumber(load_default=None, allow_none=True,
                                       validate=validate.Range(min=0, max=100, max_inclusive=False),
                                       metadata={"description": "not with warn_before_minutes"})
    enabled = StrictBool(load_default=True)

    @validates_schema
    def _one_target_per_metric(self, data: dict[str, Any], **_: Any) -> None:
        metrics = [target["metric"] for target in data.get("targets", [])]
        duplicated = sorted({metric for metric in metrics if metrics.count(metric) > 1})
        if duplicated:
            raise ValidationError(f"more than one target for {', '.join(duplicated)}", "targets")
        if data.get("warn_before_minutes") is not None and data.get("warn_before_percent") is not None:
            raise ValidationError("give warn_before_minutes or warn_before_percent, not both", "warn_before_percent")
        warning = data.get("warn_before_minutes")
        shortest = min((target["minutes"] for target in data.get("targets", [])), default=None)
        if warning is not None and shortest is not None and warning >= shortest:
            raise ValidationError(f"must be less than the shortest target ({shortest} minutes): a warning must "
                                  "leave part of the target", "warn_before_minutes")


class ReportingSchema(Schema):
    """When the account's summaries are posted to the host."""

    daily_summary_at = fields.Str(
        load_default="08:00", validate=validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                                       error="must be a time of day HH:MM, 00:00 to 23:59"),
        metadata={"description": "local time (the settings' time zone) at which the previous day's summary is "
                                 "posted"})
    hourly_summary = StrictBool(load_default=False, metadata={"description": "also post each hour's summary"})


class SettingsSchema(Schema):
    timezone = timezone_field(load_default="UTC")
    calendars = fields.List(fields.Nested(CalendarSchema), load_default=list)
    prioritization_rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    sla_policies = fields.List(fields.Nested(PolicySchema), load_default=list)
    reporting = fields.Nested(ReportingSchema, load_default=lambda: ReportingSchema().load({}))
