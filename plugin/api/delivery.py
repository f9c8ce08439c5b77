"""GET /api/v1/delivery (how the plugin's calls to the host are going) and
POST /api/v1/delivery/dead-letters/retry (send dead letters again)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from plugin.services import delivery

from .access import API_PREFIX, tenant_access
from .errors import api_blueprint

blueprint = api_blueprint("delivery", f"{API_PREFIX}/delivery", "The plugin's calls to the host: tags, notes, "
                                                                 "priorities and summaries")


class DeadLetterAnswer(Schema):
    id = fields.Int(metadata={"description": "pass it to the retry endpoint"})
    ticket_id = fields.Str(allow_none=True, metadata={"description": "null for a report summary"})
    kind = fields.Str(metadata={"description": "set_priority, add_tags, remove_tag, post_note or post_report"})
    idempotency_key = fields.Str()
    attempts = fields.Int()
    last_error = fields.Str(allow_none=True, metadata={"description": "the host's last answer, in one line"})
    created_at = fields.DateTime()
    done_at = fields.DateTime(allow_none=True, metadata={"description": "when it became a dead letter"})


class DeliveryAnswer(Schema):
    paused = fields.Bool(metadata={"description": "true after the host refused the plugin's token (401/403): "
                                                  "nothing is sent until the plugin is installed again"})
    paused_at = fields.DateTime(allow_none=True)
    paused_reason = fields.Str(allow_none=True)
    commands = fields.Dict(keys=fields.Str(), values=fields.Int(),
                           metadata={"description": "host commands by status: pending, done, gone (the ticket "
                                                    "no longer exists), dead (the host never accepted them)"})
    dead_letters = fields.List(fields.Nested(DeadLetterAnswer), metadata={"description": "the newest 100"})


class RetryRequest(Schema):
    ids = fields.List(fields.Int(strict=True, validate=validate.Range(min=1, max=2**31 - 1)), load_default=None,
                      validate=validate.Length(max=1000),
                      metadata={"description": "dead letters to send again; leave it out for all of them"})


class RetryAnswer(Schema):
    retried = fields.Int(metadata={"description": "dead letters queued again (ids that are not the account's "
                                                  "dead letters are ignored)"})


@blueprint.get("")
@blueprint.response(200, DeliveryAnswer)
def delivery_status() -> Any:
    """Whether delivery is paused and why, the commands by status, and the dead letters."""
    with tenant_access() as access:
        status = delivery.delivery_status(access.uow, access.tenant)
    return {"paused": status.paused_reason is not None, "paused_at": status.paused_at,
            "paused_reason": status.paused_reason, "commands": status.commands,
            "dead_letters": [vars(letter) for letter in status.dead_letters]}


@blueprint.post("/dead-letters/retry")
@blueprint.arguments(RetryRequest)
@blueprint.response(200, RetryAnswer)
def retry_dead_letters(body: dict[str, Any]) -> Any:
    """Send dead letters again, each with its attempts reset (admins only)."""
    with tenant_access(write=True) as access:
        return {"retried": delivery.retry_dead_letters(access.uow, access.tenant, body["ids"], access.wall_now)}
