"""The signed session cookie, for the pages only.

The API and the Synchronizer's endpoints answer bearer tokens, never cookies: their requests
get an empty session that is never read from the cookie nor written back. A cookie sent
along with them is ignored (it reaches nothing there anyway), no `Set-Cookie` or
`Vary: Cookie` comes back, and they skip the cookie's signature on every call.
"""

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from portal import edge


class Unsaved(SecureCookieSession):
    """The session of a request to the machine edge: empty, and dropped at the end."""


class PagesOnly(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request):
        if edge.serves(request.path):
            return Unsaved()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if isinstance(session, Unsaved):
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = PagesOnly()
