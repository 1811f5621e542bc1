"""JSON and the models: snake_case fields, camelCase on the wire, checked as they are read.

A model is a frozen dataclass whose field annotations say what the JSON holds: `str`, `int`,
`bool`, `datetime` (an RFC 3339 string), `Literal[...]` (a string), `tuple[X, ...]` (an array),
another model (an object), `X | None` (null allowed), `Any`. A field's wire name is its name in
camelCase (`created_at` -> `createdAt`) unless its metadata names it (`wire_name`). A field
with a default may be absent from an answer; fields the answer adds are ignored, so a newer
server does not break an older client.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

from leadblock_client.errors import UnexpectedResponseError

M = TypeVar("M")
WIRE = "wire"


def wire_name(name: str) -> dict[str, str]:
    """Metadata for a field whose wire name is not its camelCase name:
    `field(metadata=wire_name("companyLinkedIn"))`."""
    return {WIRE: name}


def camel(name: str) -> str:
    """`already_in_campaign` -> `alreadyInCampaign`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclasses.dataclass(frozen=True, slots=True)
class WireField:
    name: str  # the Python attribute
    wire: str  # the JSON key
    annotation: Any
    required: bool  # no default: the answer always carries it


_FIELDS: dict[type[Any], tuple[WireField, ...]] = {}


def wire_fields(model: type[Any]) -> tuple[WireField, ...]:
    """The fields of a model as the wire sees them."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = _read_fields(model)
    return fields


def _read_fields(model: type[Any]) -> tuple[WireField, ...]:
    hints = typing.get_type_hints(model)
    return tuple(
        WireField(
            field.name,
            field.metadata.get(WIRE) or camel(field.name),
            hints[field.name],
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING,
        )
        for field in dataclasses.fields(model)
    )


def from_wire(model: type[M], data: object, where: str = "answer") -> M:
    """An instance of `model` read from its JSON; `UnexpectedResponseError` names the first
    value that does not fit."""
    if not isinstance(data, Mapping):
        raise _mismatch(where, "an object", data)
    values: dict[str, Any] = {}
    for field in wire_fields(model):
        if field.wire in data:
            values[field.name] = _read(field.annotation, data[field.wire], f"{where}.{field.wire}")
        elif field.required:
            raise UnexpectedResponseError(f"{where} lacks {field.wire!r}")
    return model(**values)


def to_wire(model: object) -> dict[str, Any]:
    """A request model's JSON: fields that are None are left out (absent means none)."""
    return {
        field.wire: _write(getattr(model, field.name))
        for field in wire_fields(type(model))
        if getattr(model, field.name) is not None
    }


def timestamp(value: dt.datetime | str) -> str:
    """An RFC 3339 timestamp for the wire; a datetime must say its time zone."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone: the API needs an instant")
    return value.isoformat()


def _write(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_wire(value)
    return value


def _read(annotation: Any, value: object, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return value
    if origin is Union or origin is types.UnionType:
        for option in typing.get_args(annotation):
            if _fits(option, value):
                return _read(option, value, where)
        raise _mismatch(where, str(annotation), value)
    if not _fits(annotation, value):
        raise _mismatch(where, getattr(annotation, "__name__", str(annotation)), value)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        assert isinstance(value, list)
        return tuple(_read(item, entry, f"{where}[{index}]") for index, entry in enumerate(value))
    if annotation is dt.datetime:
        assert isinstance(value, str)
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise _mismatch(where, "an RFC 3339 timestamp", value) from None
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return from_wire(annotation, value, where)
    return value


def _fits(annotation: Any, value: object) -> bool:
    """Whether `value`'s JSON type is the one `annotation` reads."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if annotation is None or annotation is types.NoneType:
        return value is None
    if origin is tuple:
        return isinstance(value, list)
    if origin is Literal or annotation is dt.datetime:
        return isinstance(value, str)
    if dataclasses.is_dataclass(annotation):
        return isinstance(value, Mapping)
    if annotation is int:  # JSON true is no integer
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is str or annotation is bool:
        return isinstance(value, annotation)
    return False


def _mismatch(where: str, expected: str, value: object) -> UnexpectedResponseError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return UnexpectedResponseError(f"{where}: expected {expected}, got {shown}")
