"""Use cases. Every rule lives here; entry points parse input, call one service, map errors.

A public service call is one transaction: it ends with `commit()`. Emails and other slow
outside work are rows written in that transaction; `flask worker` acts on them later.
"""

from portal.extensions import db


class PortalError(Exception):
    """A refusal the user can act on; entry points show `str(error)` as is."""

    status_code = 400


class NotFound(PortalError):
    status_code = 404


class Forbidden(PortalError):
    status_code = 403


class Conflict(PortalError):
    status_code = 409


class InvalidTransition(Conflict):
    pass


class RateLimited(PortalError):
    status_code = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def commit() -> None:
    """Commit the unit of work. It never talks to a mail server: the worker sends the emails
    the transaction queued, so a slow or silent server never slows a page."""
    db.session.commit()
