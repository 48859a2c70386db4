"""One input layer, run before any view: what the databases cannot hold never reaches them.

- Text with a NUL character or an unpaired UTF-16 surrogate (PostgreSQL refuses both; SQLite
  would store them) is refused with a 400 that names the field, wherever it comes from: the
  path, the query string, a form field or file name, or any string of a JSON body.
- A name or an email address is one line: in any field whose name ends in `name` or
  `email` (`name`, `organization_name`, `hostname`, `billing_email`, ...), line breaks and
  control characters are refused too (they break email headers and every one-line display).
- An id must be ASCII digits within the database's INTEGER range: in a URL (`<int:...>`, for
  every route) and in the id parameters of the consoles (`id`, `rowid`, `pk`, `*_id`).
  Anything else names no row, so the page does not exist: 404, before the database is asked.
"""

import functools
import json
import re
import unicodedata
from collections.abc import Iterator

from flask import Flask, abort, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # every primary key is an INTEGER, which PostgreSQL keeps to 32 bits
_ID = re.compile(r"[0-9]{1,10}")
ID_PARAMETERS = frozenset({"id", "rowid", "pk"})
# Named like ids, but text: a request id is what the API answered in X-Request-ID.
TEXT_IDS = frozenset({"request_id"})
# These edges parse their own ids and answer in their JSON envelope (400 naming the field).
OWN_ID_CHECKS = frozenset({"api", "synchronizer"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Control characters (C0, DEL, C1: tab, CR, LF, NEL...) and the Unicode line/paragraph breaks.
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ONE_LINE_CLEAN = re.compile("(?:[\\s\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff])+")
ONE_LINE_FIELD = re.compile(r"(?:^|_)(?:host|user)?(?:name|email)$")


class TextRefused(BadRequest):
    """A 400 whose description says which field holds what, and what to do."""

    def __init__(self, field: str, text: str):
        field = _UNSTORABLE.sub("?", field)[:120]  # the label may quote a client's JSON key
        what = (
            "a NUL character"
            if "\x00" in text
            else "an unpaired surrogate (text that is not valid Unicode)"
        )
        super().__init__(f"{field} contains {what}, which text cannot hold. Remove it and retry.")


def unstorable(text: str) -> bool:
    """Whether `text` holds a character no database column can store."""
    return _UNSTORABLE.search(text) is not None


def check_text(text: str, field: str) -> str:
    """`text` unchanged, or TextRefused (400) naming `field`."""
    if unstorable(text):
        raise TextRefused(f"The field '{field}'", text)
    return text


class NotOneLine(BadRequest):
    def __init__(self, field: str):
        super().__init__(
            f"{field} must be one line of text: remove line breaks, tabs and other control "
            "characters."
        )


def blank(text: str) -> bool:
    """Whether `text` shows nothing: only spaces and invisible format characters (a
    zero-width space or joiner, a direction mark, a byte-order mark). Such a name is none."""
    shown = text.lstrip()
    if shown and unicodedata.category(shown[0]) != "Cf":
        return False  # most text: its first character past the spaces shows
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in shown)


def one_line(text: str) -> bool:
    """Whether `text` fits on one line: no control character and no line break."""
    return _LINE_BREAKING.search(text) is None


def one_line_text(text: str) -> str:
    """`text` made one storable line: each run of line breaks, control characters, unpaired
    surrogates and spaces becomes one space (for text we keep but do not refuse, such as a
    browser's user agent or an email subject)."""
    return _ONE_LINE_CLEAN.sub(" ", text).strip()


def check_one_line(text: str, field: str) -> str:
    """`text` unchanged, or NotOneLine (400) naming `field`."""
    if not one_line(text):
        raise NotOneLine(f"The field '{field}'")
    return text


def parse_id(value) -> int | None:
    """The row id `value` names (ASCII digits, 1 to ID_MAX), or None if it names none.

    `str.isdigit()` is not enough: it accepts '²', which `int()` refuses."""
    text = value if isinstance(value, str) else str(value)
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= ID_MAX else None


def page_number(value: str | None) -> int:
    """The page a `?page=` asks for (0 based), or the first page for anything else: ASCII
    digits only, as for ids ('²' and other scripts' digits name no page)."""
    return int(value) if value and _ID.fullmatch(value) else 0


def id_or_404(value) -> int:
    """`parse_id(value)`, or a 404: an id that cannot exist names a page that does not."""
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def _numbers_up_to(limit: int) -> str:
    """A regex matching the decimal numbers from 0 to `limit` (2147483647: 1 to 9 digits,
    or 10 digits below it place by place), so that routing itself finds no page for more."""
    text = str(limit)
    options = [f"[0-9]{{1,{len(text) - 1}}}", text]
    for place, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - place - 1
            options.append(f"{text[:place]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    return "(?:" + "|".join(options) + ")"


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: ASCII digits (not any Unicode digit) up to ID_MAX. The
    range is in the regex, not only checked after matching: werkzeug answers 405 instead of
    404 when a converter refuses a path that another method's route also matched."""

    regex = _numbers_up_to(ID_MAX)

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Install the layer; call before any blueprint is registered (routes bind converters)."""
    app.url_map.converters["int"] = DatabaseId
    app.before_request(check_request)


def check_request() -> None:
    """Refuse unstorable text in any part of the request, names on several lines, and ids
    that name no row."""
    # A JSON body with nothing to refuse (nearly all) is not walked string by string below.
    body = request.mimetype not in FORM_TYPES and has_body(request.environ) and not _clean_json()
    for field, text in _texts(body):
        if unstorable(text):
            raise TextRefused(field, text)
    for key, text in _named_texts(body):
        if ONE_LINE_FIELD.search(key.lower()) and not one_line(text):
            raise NotOneLine(f"The field '{key}'")
    if request.blueprint not in OWN_ID_CHECKS:
        for name, values in _parameters():
            if name in ID_PARAMETERS or (name.endswith("_id") and name not in TEXT_IDS):
                for value in values:
                    id_or_404(value)


def _parameters() -> Iterator[tuple[str, list[str]]]:
    yield from request.args.lists()
    if request.mimetype in FORM_TYPES:
        yield from request.form.lists()


def _texts(body: bool) -> Iterator[tuple[str, str]]:
    yield "The address", request.path
    for name, values in _parameters():
        yield "A field name", name
        for value in values:
            yield f"The field '{name}'", value
    if request.mimetype in FORM_TYPES:
        for name, upload in request.files.items(multi=True):
            yield f"The name of the file in '{name}'", upload.filename or ""
    elif body:
        yield from _json_texts()


def _named_texts(body: bool) -> Iterator[tuple[str, str]]:
    """(the key it was sent under, text) of every form and query string, and of every JSON
    string when `body`."""
    for name, values in _parameters():
        for value in values:
            yield name, value
    if body:
        parsed = request.get_json(force=True, silent=True)  # parsed and cached by now
        for path, text in _strings(parsed):
            yield path.rsplit(".", 1)[-1], text


def has_body(environ: dict) -> bool:
    """Whether the request `environ` describes carries a body (a length above 0, or chunks)."""
    return environ.get("CONTENT_LENGTH", "").strip() not in ("", "0") or bool(
        environ.get("HTTP_TRANSFER_ENCODING")
    )


def _json_texts() -> Iterator[tuple[str, str]]:
    # The API reads bodies as JSON whatever their type, so every body is looked at as JSON.
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    for path, text in _strings(body):
        yield f"The JSON value at '{path}'", text


def _clean_json() -> bool:
    """True when the JSON body surely holds nothing to refuse, found in one pass without
    naming paths (a big upload has thousands of strings); False sends it through the full
    walk, which names the field. A NUL or an unpaired surrogate can only come from a `\\u`
    escape, a NUL byte, UTF-8 bytes of a surrogate (0xED 0xA0-0xBF, which the JSON decoder
    lets through) or another encoding than UTF-8: with none of these in the raw bytes no
    string can hold one, and only the one-line fields' values are left to look at."""
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    raw = request.get_data(cache=True)
    if b"\\u" in raw or b"\x00" in raw or b"\xed" in raw or json.detect_encoding(raw) != "utf-8":
        return False
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    if _one_line_key(key) and not one_line(item):
                        return False
                elif isinstance(item, dict | list):
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(item for item in value if isinstance(item, dict | list))
    return True


@functools.lru_cache(maxsize=1024)
def _one_line_key(key: str) -> bool:
    # As `_named_texts` names a JSON string: the last part of its path.
    return ONE_LINE_FIELD.search(key.rsplit(".", 1)[-1].lower()) is not None


def _strings(body) -> Iterator[tuple[str, str]]:
    """Every key and string of a parsed JSON document with its path; iterative, so depth
    costs no stack."""
    stack = [("$", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield f"{path} (a key)", key
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
