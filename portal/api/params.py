"""Reading query parameters and JSON bodies into typed values, or an InvalidField naming the
parameter or the body field (e.g. `location_id`, `appt.start_time`)."""

import re
from datetime import UTC, date, datetime, time

from flask import request
from werkzeug.exceptions import BadRequest

from portal.services.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE
from portal.services.records.api_access import INT_MAX, InvalidField

TRUE, FALSE = {"true", "1"}, {"false", "0"}
MAX_IDS = {"patient_ids[]": 25}
MAX_IDS_DEFAULT = 100
MIN_YEAR, MAX_YEAR = 1000, 9000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


# Query parameters ------------------------------------------------------------------------


def text(name: str, *, required: bool = False, max_length: int = 200) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise InvalidField(name, "is required.")
        return None
    return storable(value, name, max_length)


def integer(name: str, *, required: bool = False) -> int | None:
    value = text(name, required=required, max_length=20)
    return None if value is None else to_id(value, name)


def boolean(name: str) -> bool | None:
    value = text(name)
    if value is None:
        return None
    if value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    raise InvalidField(name, "must be true or false.")


def day(name: str) -> date | None:
    value = text(name, max_length=10)
    return None if value is None else to_date(value, name)


def moment(name: str, *, required: bool = False) -> datetime | None:
    value = text(name, required=required, max_length=40)
    return None if value is None else to_datetime(value, name)


def ids(name: str) -> list[int]:
    values = [v for v in request.args.getlist(name) if v != ""]
    limit = MAX_IDS.get(name, MAX_IDS_DEFAULT)
    if len(values) > limit:
        raise InvalidField(name, f"takes at most {limit} ids.")
    return [to_id(v, name) for v in values]


def per_page() -> int:
    value = text("per_page", max_length=10)
    if value is None:
        return DEFAULT_PER_PAGE
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PER_PAGE:
        raise InvalidField("per_page", f"must be a whole number from 1 to {MAX_PER_PAGE}.")
    return int(value)


def cursors() -> dict:
    return {
        "start_cursor": text("start_cursor", max_length=500),
        "end_cursor": text("end_cursor", max_length=500),
    }


# Conversions shared by query parameters and body fields ----------------------------------


def storable(value: str, name: str, max_length: int) -> str:
    """`value` if a database can store it: not too long, no NUL, valid Unicode."""
    if len(value) > max_length:
        raise InvalidField(name, f"must be at most {max_length} characters.")
    if "\x00" in value:
        raise InvalidField(name, "must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField(name, "must be valid Unicode text.") from None
    return value


def to_id(value: str, name: str) -> int:
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= INT_MAX:
        raise InvalidField(name, "must be a positive integer.")
    return int(value)


def to_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value) if len(value) == 10 else _not_a(name, "date")
    except ValueError:
        return _not_a(name, "date")


def to_datetime(value: str, name: str) -> datetime:
    """An ISO 8601 date-time (or date, meaning midnight); no zone means UTC."""
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0))
        else:
            parsed = datetime.fromisoformat(value.upper())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return _not_a(name, "date-time such as 2024-04-12T10:30:00Z")
    # Far from the edges of the calendar, so that adding a duration cannot overflow.
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InvalidField(name, f"must fall between the years {MIN_YEAR} and {MAX_YEAR}.")
    return parsed


def _not_a(name: str, kind: str):
    raise InvalidField(name, f"must be a {kind}.")


# JSON bodies -----------------------------------------------------------------------------


def body() -> "Body":
    try:
        data = request.get_json(force=True)
    except BadRequest:
        raise InvalidField("body", "must be a JSON object.") from None
    if not isinstance(data, dict):
        raise InvalidField("body", "must be a JSON object.")
    return Body(data, "")


class Body:
    """A JSON object and its path in the request body, for error messages."""

    def __init__(self, data: dict, path: str):
        self.data, self.path = data, path

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, required: bool):
        value = self.data.get(key)
        if value is None and required:
            raise InvalidField(self._name(key), "is required.")
        return value

    def section(self, key: str) -> "Body":
        value = self._get(key, True)
        if not isinstance(value, dict):
            raise InvalidField(self._name(key), "must be an object.")
        return Body(value, self._name(key))

    def text(self, key: str, *, required: bool = False, max_length: int = 100) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise InvalidField(self._name(key), "must be a non-empty string.")
        return storable(value, self._name(key), max_length)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= INT_MAX:
            raise InvalidField(self._name(key), "must be a positive integer.")
        return value

    def boolean(self, key: str) -> bool | None:
        value = self._get(key, False)
        if value is not None and not isinstance(value, bool):
            raise InvalidField(self._name(key), "must be true or false.")
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self.text(key, required=required, max_length=10)
        return None if value is None else to_date(value, self._name(key))

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.text(key, required=required, max_length=40)
        return None if value is None else to_datetime(value, self._name(key))

    def email(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required, max_length=254)
        if value is not None and not EMAIL.match(value.strip()):
            raise InvalidField(self._name(key), "must be an email address.")
        return value

    def phone(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required, max_length=30)
        if value is not None and not 7 <= len(re.sub(r"[^0-9]", "", value)) <= 15:
            raise InvalidField(self._name(key), "must be a phone number of 7 to 15 digits.")
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self._get(key, False)
        if value is not None and value not in choices:
            raise InvalidField(self._name(key), f"must be one of: {', '.join(choices)}.")
        return value
