"""What apispec cannot derive from a marshmallow field, so that /api/v1/openapi.json states the
constraints the API enforces (schemathesis' generated "valid" requests are then accepted)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import fields, validate


class DocumentingPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, and what it leaves out: the attribute functions below, and a
    schema's ``Meta.openapi`` (keywords of the whole object, such as two fields that exclude each other)."""

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        assert self.converter is not None
        for function in (exclusive_bounds, null_only_branch, exact_schema):  # run after apispec's own
            self.converter.add_attribute_function(function)

    # The signature of MarshmallowPlugin's, which differs from BasePlugin's it overrides.
    def schema_helper(self, name: str, _: Any, schema: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        if json_schema is not None:
            json_schema.update(getattr(getattr(resolve_schema_cls(schema), "Meta", None), "openapi", {}))
        return json_schema


def exclusive_bounds(_converter: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """``Range(..., min_inclusive=False)`` is ``exclusiveMinimum`` (OpenAPI 3.0's boolean form),
    which apispec leaves out: without it a document allows the bound the API refuses."""
    bounds: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                bounds["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                bounds["exclusiveMaximum"] = True
    return bounds


def null_only_branch(_converter: Any, _field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """A nullable nested object is ``anyOf: [{type: object, nullable: true}, {$ref}]`` in apispec's
    OpenAPI 3.0, whose first branch admits any object at all: it is meant to admit null only."""
    for branch in ret.get("anyOf", ()):
        if branch == {"type": "object", "nullable": True}:
            branch["enum"] = [None]
    return {}


def exact_schema(_converter: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """``metadata={"openapi": {...}}`` is the field's whole schema, for shapes apispec cannot derive:
    a dict with known keys, a value that is one of two types."""
    schema = field.metadata.get("openapi")
    if schema is None:
        return {}
    ret.clear()
    return dict(schema)
