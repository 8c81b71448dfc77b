"""A simulator's entities as readable JSON and back, driven by the types each state declares.

`encode` needs no types: dataclasses become objects, datetimes ISO 8601 text with their zone,
tuples lists, and a dict whose keys are not all text a list of ``[key, value]`` pairs. `decode`
rebuilds the values from a type (``dict[str, Order]``, ``list[datetime]``, ``X | None`` ...) and
raises ValueError, TypeError or KeyError when the JSON does not fit it, so that a file written
by another version is refused as a whole rather than half-loaded.
"""

from __future__ import annotations

import types
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, Union, get_args, get_origin, get_type_hints


def encode(value: Any) -> Any:
    """A JSON-ready deep copy of `value`."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: encode(item) for key, item in value.items()}
        return [[encode(key), encode(item)] for key, item in value.items()]
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def _aware(text: Any) -> datetime:
    when = datetime.fromisoformat(str(text))
    if when.tzinfo is None:
        raise ValueError(f"time without a zone: {text!r}")
    return when


def _dataclass(cls: type[Any], data: Any) -> Any:
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__}: expected an object")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    return cls(
        **{name: decode(hints[name], value) for name, value in data.items() if name in known}
    )


def decode(hint: Any, data: Any) -> Any:
    """`data` (from `encode`) turned back into a value of type `hint`."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return data
    if origin in (Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return decode(inner[0], data) if len(inner) == 1 else data
    if hint is datetime:
        return _aware(data)
    if isinstance(hint, type) and is_dataclass(hint):
        return _dataclass(hint, data)
    if origin is dict:
        key_hint, item_hint = args
        pairs = data.items() if isinstance(data, dict) else data
        return {decode(key_hint, key): decode(item_hint, item) for key, item in pairs}
    if origin is list:
        if not isinstance(data, list):
            raise TypeError("expected a list")
        return [decode(args[0], item) for item in data]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], item) for item in data)
        return tuple(decode(a, item) for a, item in zip(args, data, strict=True))
    if hint is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if hint in (str, int, bool) and (type(data) is not hint):
        raise TypeError(f"expected {hint.__name__}, got {type(data).__name__}")
    return data
