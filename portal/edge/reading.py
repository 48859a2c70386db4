"""Reading a machine client's input into a declared shape (a msgspec Struct): the query
string, the JSON body and the bearer token. A value that does not fit is refused with an
InvalidField naming it, in words taken from its declaration (`appt.start_time is required.`,
`location_id must be a whole number from 1 to 2147483647.`)."""

import re
from datetime import UTC, date, datetime, time
from functools import cache

import msgspec
from flask import request

from portal.services.records.api_access import INT_MAX, InvalidField

MIN_YEAR, MAX_YEAR = 1000, 9000
_MISSING = re.compile(r"Object missing required field `(.+)`")
_UNKNOWN = re.compile(r"Object contains unknown field `(.+)`")
_WHOLE = re.compile(r"-?[0-9]{1,19}")


class Moment(datetime):
    """An ISO 8601 date-time, or a date meaning its midnight; no zone means UTC. Read as an
    aware UTC datetime far from the calendar's edges (adding a duration cannot overflow)."""


class ZonedTime(datetime):
    """An ISO 8601 date-time that states its zone (agents report moments, not wall times)."""


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def query(shape: type[msgspec.Struct]):
    """The query string read into `shape`. Empty values count as absent; a list field
    takes every value of its repeated parameter (`ids[]=1&ids[]=2`). A parameter the shape
    does not declare is refused by name: a filter is never silently ignored."""
    known = {name for name, _, _ in _query_fields(shape)}
    for name in request.args:
        if name not in known:
            raise InvalidField(_text("parameter", name), "is not supported by this operation.")
    return _fields(request.args, shape)


def headers(shape: type[msgspec.Struct]):
    """The request headers named by `shape`'s fields, read into it."""
    return _fields(request.headers, shape)


def _fields(args, shape: type[msgspec.Struct]):
    values = {}
    for name, many, whole in _query_fields(shape):
        if many:
            found = [_text(name, v) for v in args.getlist(name) if v != ""]
        else:
            found = args.get(name)
            found = None if found is None or found == "" else _text(name, found)
        if found and whole is not None:
            # Read as written: the lax conversion below would take "2.0" or "1e3" for 2 or 1000.
            for value in found if many else [found]:
                if not _WHOLE.fullmatch(value):
                    raise InvalidField(name, _phrase(whole, ""))
        if found:
            values[name] = found
    try:
        return msgspec.convert(values, shape, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as error:
        raise _invalid(shape, str(error), "") from None


def body(shape: type[msgspec.Struct]):
    """The JSON body read into `shape`, whatever the Content-Type says."""
    raw = request.get_data(cache=True)
    try:
        found = msgspec.json.decode(raw, type=shape, dec_hook=_decode)
    except msgspec.ValidationError as error:
        raise _invalid(shape, str(error), "body") from None
    except msgspec.DecodeError:
        raise InvalidField("body", "must be a JSON object.") from None
    except RecursionError:
        raise InvalidField("body", "nests too deeply to be read.") from None
    if b"\\u0000" in raw:
        _refuse_nul(msgspec.json.decode(raw), "")
    return found


# Values that need more than the JSON types ------------------------------------------------


def _text(name: str, value: str) -> str:
    if "\x00" in value:
        raise InvalidField(name, "must not contain NUL characters.")
    return value


def _refuse_nul(value, path: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise InvalidField(path or "body", "must not contain NUL characters.")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{path}[{index}]")


def _decode(kind: type, value):
    if kind is Moment:
        return _moment(value)
    if kind is ZonedTime:
        return _zoned(value)
    raise NotImplementedError(kind)


def _zoned(value) -> ZonedTime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or len(value) > 40:
        raise ValueError(Phrases.ZONED)
    return ZonedTime(*parsed.timetuple()[:6], parsed.microsecond, tzinfo=parsed.tzinfo)


def _moment(value) -> Moment:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(Phrases.MOMENT)
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        else:
            parsed = datetime.fromisoformat(value.upper())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(Phrases.MOMENT) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"must fall between the years {MIN_YEAR} and {MAX_YEAR}.")
    return Moment(*parsed.timetuple()[:6], parsed.microsecond, tzinfo=UTC)


# Messages from declarations ----------------------------------------------------------------


class Phrases:
    MOMENT = "must be a date-time such as 2024-04-12T10:30:00Z."
    ZONED = "must be an ISO 8601 time with a zone, e.g. 2025-01-31T14:05Z."
    DATE = "must be a date such as 2024-04-12."
    BOOL = "must be true or false."
    OBJECT = "must be an object."


def _invalid(shape, message: str, root: str) -> InvalidField:
    """An InvalidField for msgspec's `message` ("Expected `int` >= 1 - at `$.appt.x`")."""
    problem, _, where = message.partition(" - at `$")
    path = where.rstrip("`")
    name = _dotted(path, root)
    missing = _MISSING.fullmatch(problem)
    if missing:
        return InvalidField(_join(name, missing.group(1)), "is required.")
    unknown = _UNKNOWN.fullmatch(problem)
    if unknown:  # shapes that forbid unknown fields, so that a misspelt one is not lost
        return InvalidField(_join(name, unknown.group(1)), "is not a known field.")
    if not path and root:
        return InvalidField(root, "must be a JSON object.")
    if problem.endswith("got `null`"):  # null stands for a value not sent
        return InvalidField(name, "is required.")
    if problem.startswith("must "):  # our own words, from a value check above
        return InvalidField(name, problem)
    declared = _declared(msgspec.inspect.type_info(shape), path)
    if declared is None:
        return InvalidField(name, f"is not valid ({problem}).")
    return InvalidField(name, _phrase(declared, problem))


def _dotted(path: str, root: str) -> str:
    name = path.lstrip(".")
    return name or root


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent and parent != "body" else child


def _declared(info, path: str):
    """The declared type at `path` (".appt.start_time", ".locations[2].name", ".ids[][0]")."""
    while path:
        info = _unwrapped(info)
        if path.startswith("[") and isinstance(info, msgspec.inspect.ListType):
            path, info = path[path.index("]") + 1 :], info.item_type
            continue
        if not path.startswith(".") or not isinstance(info, msgspec.inspect.StructType):
            return None
        path = path[1:]
        names = sorted((f.encode_name for f in info.fields), key=len, reverse=True)
        name = next((n for n in names if path.startswith(n)), None)
        if name is None:
            return None
        info = next(f.type for f in info.fields if f.encode_name == name)
        path = path[len(name) :]
    return _unwrapped(info)


def _unwrapped(info):
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    if isinstance(info, msgspec.inspect.UnionType):
        kinds = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(kinds) == 1:
            return _unwrapped(kinds[0])
    return info


def _phrase(info, problem: str) -> str:
    inspect = msgspec.inspect
    if isinstance(info, inspect.IntType):
        if info.ge == 1 and info.le == INT_MAX:
            return "must be a positive integer."
        return f"must be a whole number from {info.ge} to {info.le}."
    if isinstance(info, inspect.StrType):
        return _text_phrase(info, problem)
    if isinstance(info, inspect.BoolType):
        return Phrases.BOOL
    if isinstance(info, inspect.DateType):
        return Phrases.DATE
    if isinstance(info, inspect.CustomType) and info.cls is Moment:
        return Phrases.MOMENT
    if isinstance(info, inspect.CustomType) and info.cls is ZonedTime:
        return Phrases.ZONED
    if isinstance(info, inspect.LiteralType):
        return f"must be one of: {', '.join(str(v) for v in info.values)}."
    if isinstance(info, inspect.ListType):
        limit = f" of at most {info.max_length} values" if info.max_length else ""
        return f"must be a list{limit}."
    if isinstance(info, inspect.StructType | inspect.DictType):
        return Phrases.OBJECT
    return "is not valid."


def _text_phrase(info, problem: str) -> str:
    if "of length <=" in problem:
        return f"must be at most {info.max_length} characters."
    if "of length >=" in problem:
        return "must not be empty."
    fallback = f"must be text of at most {info.max_length} characters."
    return PATTERN_PHRASES.get(info.pattern) or fallback


# Patterns declared in shapes and what they mean to a reader.
NON_BLANK = r"\S"
EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
PHONE = r"^[^0-9]*(?:[0-9][^0-9]*){7,15}$"
PATTERN_PHRASES = {
    NON_BLANK: "must be a non-empty string.",
    EMAIL: "must be an email address.",
    PHONE: "must be a phone number of 7 to 15 digits.",
}


@cache
def _query_fields(shape) -> tuple[tuple[str, bool, object], ...]:
    """(name, whether it takes a list, its integer type or None) of each field of `shape`."""
    fields = []
    for field in msgspec.inspect.type_info(shape).fields:
        kind = _unwrapped(field.type)
        many = isinstance(kind, msgspec.inspect.ListType)
        item = _unwrapped(kind.item_type) if many else kind
        whole = item if isinstance(item, msgspec.inspect.IntType) else None
        fields.append((field.encode_name, many, whole))
    return tuple(fields)
