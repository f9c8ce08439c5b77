"""GET /api/v1/tickets/<ticket_id>/countdown: a ticket's targets with the clock each runs on, for the
rep's sidebar to count down in business time without asking again every second."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marshmallow import Schema, fields, pre_dump

from plugin.services import countdown as service

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint
from .schemas import Instant, StoredTarget

blueprint = api_blueprint("countdown", f"{API_PREFIX}/tickets", "A ticket's SLA targets, counted down in "
                                                                  "business time")


class OpenInterval(Schema):
    start = Instant()
    end = Instant()


class TargetClockAnswer(Schema):
    calendar = fields.Str(attribute="calendar_id", allow_none=True,
                          metadata={"description": "the calendar's id; null: the target runs 24/7"})
    calendar_name = fields.Str(allow_none=True)
    timezone = fields.Str(allow_none=True, metadata={"description": "the calendar's IANA zone; null for 24/7"})
    remaining_seconds = fields.Int(metadata={"description": "business seconds left at as_of (a paused target: "
                                                            "what it has left when it runs again)"})
    open_intervals = fields.List(fields.Nested(OpenInterval), metadata={
        "description": "an active target's open intervals of its calendar, [start, end), from as_of to its due "
                       "instant: its clock runs only inside them (at most 200)"})
    intervals_complete = fields.Bool(metadata={"description": "false: the list stops at its limit, and more "
                                                              "open time follows before the due instant"})

    @pre_dump
    def _intervals(self, clock: service.TargetClock, **_: Any) -> dict[str, Any]:
        return {**asdict(clock), "open_intervals": [{"start": start, "end": end}
                                                    for start, end in clock.open_intervals]}


class CountdownTarget(StoredTarget):
    target_seconds = fields.Int(metadata={"description": "the target's budget of business seconds"})
    at_risk = fields.Bool(metadata={"description": "active and inside its warning window at as_of"})
    clock = fields.Nested(TargetClockAnswer, allow_none=True,
                          metadata={"description": "for an active or paused target; null otherwise"})

    @pre_dump
    def _flatten(self, target: service.CountdownTarget, **_: Any) -> dict[str, Any]:
        return {**asdict(target.state), "at_risk": target.at_risk, "clock": target.clock}


class TicketCountdownAnswer(Schema):
    id = fields.Str(attribute="ticket.ticket_id")
    priority = fields.Str(attribute="ticket.priority", allow_none=True)
    policy = fields.Str(attribute="ticket.policy_id", allow_none=True)
    policy_name = fields.Str(allow_none=True)
    deleted = fields.Bool(attribute="ticket.deleted")
    timezone = fields.Str(metadata={"description": "the account's settings zone"})
    as_of = Instant()  # the instant the clocks were read at: count on from it
    targets = fields.List(fields.Nested(CountdownTarget))


@blueprint.get("/<path:ticket_id>/countdown")  # host ids may hold a slash (sent as %2F or not)
@blueprint.response(200, TicketCountdownAnswer)
def ticket_countdown(ticket_id: str) -> Any:
    """The ticket's targets, each running one with its calendar, the business time it has left and the
    calendar's open intervals until its due instant."""
    with tenant_access() as access:
        return service.ticket_countdown(access.uow, access.tenant, ticket_id, access.now)
