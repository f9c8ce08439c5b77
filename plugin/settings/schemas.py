"""marshmallow schemas for the settings document (design.md §5): shape and field-level checks."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


class StrictBool(fields.Boolean):
    """true or false, and nothing that merely looks like one ("0", 1, "yes")."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value
MAX_TARGET_MINUTES = 366 * 24 * 60


def validate_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(f"unknown IANA time zone {name!r}") from error


class HolidayField(fields.Field):
    """An ISO date, or ``{"date": ISO, "name": text}``; loads as ``(date, name)``."""

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
        try:
            return date.fromisoformat(text), name
        except ValueError as error:
            raise ValidationError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        day, name = value
        return {"date": day.isoformat(), "name": name} if name else day.isoformat()


class HolidayPresetSchema(Schema):
    """National holidays from the ``holidays`` package: country code and optional subdivision."""

    country = fields.Str(required=True)
    subdivision = fields.Str(load_default=None, allow_none=True)

    @validates_schema
    def _known_country(self, data: dict[str, Any], **_: Any) -> None:
        try:
            holiday_data.country_holidays(data["country"], subdiv=data["subdivision"])
        except NotImplementedError as error:
            raise ValidationError(str(error), "country") from error


class CalendarSchema(Schema):
    id = fields.Str(required=True, validate=_AN_ID)
    name = fields.Str(load_default="", validate=_A_NAME)
    timezone = fields.Str(required=True, validate=validate_timezone)
    hours = fields.Dict(
        keys=fields.Str(validate=validate.OneOf(WEEKDAYS)),
        values=fields.List(fields.List(fields.Str(), validate=validate.Length(equal=2))),
        required=True,
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
    position = fields.Int(load_default=0, strict=True)
    match = fields.Str(load_default="all", validate=validate.OneOf(("all", "any")))
    conditions = fields.List(fields.Nested(ConditionSchema), load_default=list)
    priority = fields.Str(required=True, validate=validate.OneOf(PRIORITIES))


class TargetSchema(Schema):
    metric = fields.Str(required=True, validate=validate.OneOf(METRICS))
    # At most a year of business minutes: far beyond any real SLA, and every due instant stays representable.
    minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=MAX_TARGET_MINUTES))
    success_rate_percent = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class PolicySchema(Schema):
    id = fields.Str(required=True, validate=_AN_ID)
    name = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    description = fields.Str(load_default="", validate=_A_DESCRIPTION)
    product = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    channel = fields.Str(required=True, validate=_A_REQUIRED_NAME)
    priority = fields.Str(required=True, validate=validate.OneOf(PRIORITIES))
    calendar = fields.Str(load_default=None, allow_none=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True, validate=_NON_EMPTY)
    pause_statuses = fields.List(
        fields.Str(validate=validate.OneOf(PAUSABLE_STATUSES)), load_default=lambda: ["pending", "on_hold"]
    )
    warn_before_minutes = fields.Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    warn_before_percent = fields.Float(load_default=None, allow_none=True,
                                       validate=validate.Range(min=0, max=100, max_inclusive=False))
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


class SettingsSchema(Schema):
    timezone = fields.Str(load_default="UTC", validate=validate_timezone)
    calendars = fields.List(fields.Nested(CalendarSchema), load_default=list)
    prioritization_rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    sla_policies = fields.List(fields.Nested(PolicySchema), load_default=list)
