"""marshmallow schemas of the admin API's requests (validated) and answers (documented in OpenAPI)."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validate, validates_schema

from plugin.domain.policies import METRICS
from plugin.report_formats import iso_utc
from plugin.settings.schemas import CalendarSchema, PolicySchema, RuleSchema, SettingsSchema
from plugin.store.limits import IDENTIFIER_LENGTH, findable
from plugin.store.records import TicketTarget

_INSTANT_ERRORS: dict[str, str | list[Any] | dict[Any, Any]] = {
    "invalid": "must be an ISO 8601 instant, e.g. 2026-03-02T09:00:00Z",
    "invalid_awareness": "must be an ISO 8601 instant with Z or a UTC offset, e.g. 2026-03-02T09:00:00Z",
}


_INSTANT_RANGE = validate.Range(
    min=datetime(1970, 1, 1, tzinfo=UTC), max=datetime(9000, 1, 1, tzinfo=UTC), error="must lie between 1970 and 9000"
)
# The years 1970–8999 in the document's words (JSON Schema has no range of instants); the API
# itself compares the instant in UTC, so the first and last hours of the range depend on the offset.
_DAY = r"(19[7-9][0-9]|[2-8][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_INSTANT_DOCUMENT = {"format": "date-time", "pattern": f"^{_DAY}{_TIME}$",
                     "description": "an ISO 8601 instant with Z or its UTC offset, between 1970 and 9000",
                     "example": "2026-03-02T09:00:00Z"}


def _instant(**options: Any) -> fields.AwareDateTime:
    metadata = {**_INSTANT_DOCUMENT, **options.pop("metadata", {})}
    return fields.AwareDateTime(format="iso", error_messages=_INSTANT_ERRORS, validate=_INSTANT_RANGE,
                                metadata=metadata, **options)


_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT_OR_DATE = f"^{_DAY}({_TIME})?$"


def _an_id(value: str) -> None:
    if not findable(value):
        raise ValidationError(f"must be an id: no NUL characters, at most {IDENTIFIER_LENGTH} characters")


class Instant(fields.Field):
    """An aware instant, written as ISO 8601 in UTC with Z (whole seconds)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(metadata={"type": "string", "format": "date-time"}, **options)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return iso_utc(value)


# -- auth --------------------------------------------------------------------------------------
class SessionRequest(Schema):
    token = fields.Str(required=True, validate=validate.Length(min=1),
                       metadata={"description": "the host's one-time JWT (HS256, ≤ 5 minutes)"})


class SessionAnswer(Schema):
    access_token = fields.Str()
    token_type = fields.Str(metadata={"example": "Bearer"})
    expires_in = fields.Int(metadata={"description": "seconds"})


# -- settings items, kept as written once valid ------------------------------------------------
class KeepAsWritten:
    """Validate with the settings schema, but hand on the item exactly as the admin wrote it.

    The stored document is the admin's own (design.md §5), not one filled with defaults.
    """

    @post_load(pass_original=True)
    def _as_written(self, _data: dict[str, Any], original: dict[str, Any], **_: Any) -> dict[str, Any]:
        return original


class CalendarBody(KeepAsWritten, CalendarSchema):
    pass


class RuleBody(KeepAsWritten, RuleSchema):
    pass


class PolicyBody(KeepAsWritten, PolicySchema):
    pass


ITEM_BODIES: dict[str, type[Schema]] = {
    "calendars": CalendarBody, "prioritization_rules": RuleBody, "sla_policies": PolicyBody,
}


class SettingsDocument(SettingsSchema):
    """The settings export document (design.md §5)."""


class SettingsWriteQuery(Schema):
    apply_to = fields.Str(load_default="open_tickets", validate=validate.OneOf(("open_tickets", "new_tickets")),
                          metadata={"description": "open_tickets (recomputed now, the default) or new_tickets only"})


# An ETag of the settings (its version, quoted, perhaps weak), the bare version, or * for any.
ETAG_PATTERN = r'^(\*|(W/)?"[0-9]{1,9}"|[0-9]{1,9})$'


class SettingsPrecondition(Schema):
    if_match = fields.Str(data_key="If-Match", load_default=None,
                          metadata={"description": "save only over this version (the ETag of a GET), or * for any; "
                                                   "412 when the settings are at another version",
                                    "pattern": ETAG_PATTERN, "example": '"3"'})


class SettingsVersionEntry(Schema):
    version = fields.Int()
    created_at = Instant()
    created_by = fields.Str()
    apply_to = fields.Str()


class SettingsVersionList(Schema):
    versions = fields.List(fields.Nested(SettingsVersionEntry))


class RuleList(Schema):
    rules = fields.List(fields.Nested(RuleBody))


class RuleOrder(Schema):
    ids = fields.List(fields.Str(validate=validate.Length(min=1, max=IDENTIFIER_LENGTH)), required=True,
                      metadata={"description": "the id of every rule, each once, the first tried first",
                                "uniqueItems": True})


# -- previews ------------------------------------------------------------------------------------
# A sample ticket of the rule tester: bounded, so that one request's work and answer stay small.
SAMPLE_NAME = validate.Length(max=200)
SAMPLE_TEXT = validate.Length(max=10_000)
MAX_SAMPLE_TAGS = 100


class Requester(Schema):
    name = fields.Str(load_default="", validate=SAMPLE_NAME)
    email = fields.Str(load_default="", validate=SAMPLE_NAME)


class RuleTestTicket(Schema):
    product = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)
    channel = fields.Str(load_default=None, allow_none=True, validate=SAMPLE_NAME)
    subject = fields.Str(load_default="", validate=SAMPLE_TEXT)
    body = fields.Str(load_default="", validate=SAMPLE_TEXT)
    requester = fields.Nested(Requester, load_default=lambda: {"name": "", "email": ""})
    tags = fields.List(fields.Str(validate=SAMPLE_NAME), load_default=list,
                       validate=validate.Length(max=MAX_SAMPLE_TAGS))


class RuleTestAnswer(Schema):
    rule = fields.Str(allow_none=True, metadata={"description": "the first matching rule; null: none matched"})
    priority = fields.Str()
    policy = fields.Str(allow_none=True, metadata={"description": "the SLA policy a ticket so prioritized gets"})


_POLICY_ID_OR_DRAFT = {
    "anyOf": [{"type": "string", "minLength": 1, "maxLength": IDENTIFIER_LENGTH},
              {"$ref": "#/components/schemas/PolicyBody"}],
    "description": "a saved policy's id, or a draft policy object (checked with the settings as if it were saved)",
}


class PolicyPreviewRequest(Schema):
    policy = fields.Raw(required=True, metadata={"openapi": _POLICY_ID_OR_DRAFT})
    created_at = _instant(required=True, metadata={"description": "when the ticket is created: an ISO 8601 instant "
                                                                  "with Z or its UTC offset, between 1970 and 9000"})

    @validates_schema
    def _policy_id_or_object(self, data: dict[str, Any], **_: Any) -> None:
        policy = data.get("policy")
        if not (isinstance(policy, dict) or (isinstance(policy, str) and policy)):
            raise ValidationError("must be a policy id or a policy object", "policy")
        if isinstance(policy, dict) and not isinstance(policy.get("id"), str):  # its problems are told by its id
            raise ValidationError("a draft policy needs its id (a string)", "policy")


class TargetPreview(Schema):
    metric = fields.Str()
    minutes = fields.Int()
    due_at = Instant()


class PolicyPreviewAnswer(Schema):
    policy = fields.Str()
    created_at = Instant()
    targets = fields.List(fields.Nested(TargetPreview))


# -- tickets and reports -----------------------------------------------------------------------
class StoredTarget(Schema):
    """A target's state (``plugin.domain.engine.TargetState``)."""

    metric = fields.Str()
    status = fields.Str(metadata={"description": "active, paused, met, breached or cancelled"})
    started_at = Instant()
    due_at = Instant(allow_none=True)
    stopped_at = Instant(allow_none=True)
    breached_at = Instant(allow_none=True)
    business_seconds = fields.Int()
    policy = fields.Str(attribute="policy_id")
    cycle = fields.Int()
    warn_at = Instant(allow_none=True)


class TicketTargets(Schema):
    """A ticket's row and its targets (``plugin.services.queries.TicketTargets``)."""

    id = fields.Str(attribute="ticket.ticket_id")
    priority = fields.Str(attribute="ticket.priority", allow_none=True)
    policy = fields.Str(attribute="ticket.policy_id", allow_none=True)
    deleted = fields.Bool(attribute="ticket.deleted")
    targets = fields.List(fields.Nested(StoredTarget))


class AtRiskTarget(StoredTarget):
    ticket_id = fields.Str()

    @pre_dump
    def _flatten(self, target: TicketTarget, **_: Any) -> dict[str, Any]:
        return {"ticket_id": target.ticket_id, **asdict(target.state)}


class AtRiskAnswer(Schema):
    as_of = Instant()
    targets = fields.List(fields.Nested(AtRiskTarget))


class InboxFigures(Schema):
    pending = fields.Int(metadata={"description": "events stored and not yet applied"})
    failed = fields.Int(metadata={"description": "events that could not be applied (see failed_events)"})
    oldest_pending_at = Instant(allow_none=True)


class FailedEventAnswer(Schema):
    webhook_id = fields.Str()
    ticket_id = fields.Str(allow_none=True)
    error = fields.Str()
    received_at = Instant()


class PostedSummaryAnswer(Schema):
    """A summary the host accepted: its period, and when it was delivered (``delivered_at``)."""

    title = fields.Str()
    period_start = Instant()
    period_end = Instant()
    delivered_at = Instant()


class PostedSummaries(Schema):
    daily = fields.Nested(PostedSummaryAnswer, allow_none=True, metadata={"description": "null: none posted yet"})
    hourly = fields.Nested(PostedSummaryAnswer, allow_none=True, metadata={"description": "null: none posted yet"})


class StatusAnswer(Schema):
    """The installation's health (``plugin.services.queries.InstallationStatus``)."""

    as_of = Instant()
    timezone = fields.Str(metadata={"description": "the settings' time zone"})
    settings_version = fields.Int()
    summaries = fields.Nested(PostedSummaries, metadata={"description": "the newest daily and hourly summaries "
                                                                        "the host accepted"})
    inbox = fields.Nested(InboxFigures)
    oldest_pending_age_seconds = fields.Method("_age", metadata={"type": "number"})
    failed_events = fields.List(fields.Nested(FailedEventAnswer))

    def _age(self, status: Any) -> float:
        oldest = status.inbox.oldest_pending_at
        return round((status.as_of - oldest).total_seconds(), 3) if oldest else 0.0


class InstantOrDate(fields.Field):
    """An ISO 8601 instant with its offset, or a plain date ``YYYY-MM-DD``: that day's start in the
    settings' time zone (resolved by the report query)."""

    def __init__(self, **options: Any) -> None:
        description = options.pop("description")
        super().__init__(metadata={"type": "string", "description": f"{description}; between 1970 and 9000",
                                   "pattern": _INSTANT_OR_DATE, "example": "2026-03-02"}, **options)
        self._instant = _instant()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime | date:
        if isinstance(value, str) and _PLAIN_DATE.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"{value!r} is not a date of the calendar") from None
            if not date(1970, 1, 2) <= day < date(9000, 1, 1):
                raise ValidationError("must lie between 1970 and 9000")
            return day
        instant = self._instant.deserialize(value)
        assert isinstance(instant, datetime)
        return instant


class AnyCase(fields.Str):
    """One of ``choices``, in any case."""

    def __init__(self, choices: tuple[str, ...], **options: Any) -> None:
        super().__init__(validate=validate.OneOf(choices), metadata={"enum": list(choices), **options.pop(
            "metadata", {})}, **options)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class ReportQuery(Schema):
    """Query parameters the endpoint does not take are refused, by name (``unknown=RAISE`` where
    the routes take them): ``date=`` is no filter."""

    since = InstantOrDate(data_key="from", load_default=None,
                          description="count whole periods starting at or after this instant, or this day "
                                      "(YYYY-MM-DD: its start in the settings' time zone)")
    until = InstantOrDate(data_key="to", load_default=None,
                          description="…and starting before this instant or day (exclusive)")
    policy = fields.Str(load_default=None, validate=_an_id,
                        metadata={"description": "a policy's id; an id no policy has is refused",
                                  "maxLength": IDENTIFIER_LENGTH})
    metric = AnyCase(METRICS, load_default=None)
    format = AnyCase(("json", "csv"), load_default=None,
                     metadata={"description": "csv (any case), or send Accept: text/csv"})


class AtRiskQuery(Schema):
    format = AnyCase(("json", "csv"), load_default=None,
                     metadata={"description": "csv (any case), or send Accept: text/csv"})


class ReportRowAnswer(Schema):
    period_start = fields.Str(metadata={"format": "date-time"})
    policy = fields.Str()
    metric = fields.Str()
    total = fields.Int()
    met = fields.Int()
    breached = fields.Int()
    achieved_percent = fields.Float()
    target_percent = fields.Float()
    missed_tickets = fields.Int()
    median_business_seconds = fields.Float()
    p90_business_seconds = fields.Float()


class ReportAnswer(Schema):
    rows = fields.List(fields.Nested(ReportRowAnswer))
