"""Field types for declared shapes: each carries its limits for reading and for the OpenAPI
document, so that a rule is written once (`Id`, `text(100)`, `Email`, `Phone`, ...)."""

from typing import Annotated

from msgspec import Meta

from portal.edge.reading import EMAIL, NON_BLANK, PHONE
from portal.services.records.api_access import INT_MAX

Id = Annotated[int, Meta(ge=1, le=INT_MAX)]
Email = Annotated[str, Meta(max_length=254, pattern=EMAIL, extra_json_schema={"format": "email"})]
Phone = Annotated[str, Meta(max_length=30, pattern=PHONE, examples=["5163042196"])]
Timestamp = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
Date = Annotated[str, Meta(extra_json_schema={"format": "date"})]
Offset = Annotated[str, Meta(pattern=r"^[+-][0-9]{2}:[0-9]{2}$")]


def text(max_length: int = 200, description: str | None = None):
    """Text of at most `max_length` characters."""
    return Annotated[str, Meta(max_length=max_length, description=description)]


def nonblank(max_length: int = 100, description: str | None = None):
    """Text that must not be blank."""
    meta = Meta(min_length=1, max_length=max_length, pattern=NON_BLANK, description=description)
    return Annotated[str, meta]


def described(kind, description: str):
    """`kind` with a description for the document."""
    return Annotated[kind, Meta(description=description)]
