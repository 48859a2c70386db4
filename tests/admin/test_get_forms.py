"""Every search and filter form of both consoles, over the demo world, answers when sent as
the browser sends it untouched: each field as rendered, the empty ones too. (The Requests
page once answered 404 to its own form: its empty "Request id" was read as a row id.)"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import current_app


class _Forms(HTMLParser):
    """The GET forms of a page: their action and the fields a browser would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.form = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self.form)
        elif self.form is None or "disabled" in attrs:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "image", "reset", "file"):
                self.form["fields"].append([attrs["name"], attrs.get("value") or ""])
        elif tag == "select" and attrs.get("name"):
            self.select = [attrs["name"], None]
            self.form["fields"].append(self.select)
        elif (
            tag == "option"
            and self.select is not None
            and (self.select[1] is None or "selected" in attrs)
        ):
            self.select[1] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def _console_pages():
    for admin in current_app.extensions["admin"]:
        for view in admin._views:
            yield view.url.rstrip("/") + "/", admin.url.startswith("/ops")


def test_every_get_form_answers_when_sent_as_rendered(demo_consoles):
    developer, staff = demo_consoles
    sent, refused = 0, []
    for path, ops in _console_pages():
        client = staff if ops else developer
        page = client.get(path)
        if page.status_code != 200 or "text/html" not in page.content_type:
            continue
        parser = _Forms()
        parser.feed(page.get_data(as_text=True))
        for form in parser.forms:
            action = urlsplit(urljoin(path, form["action"])).path
            fields = [(name, value or "") for name, value in form["fields"]]
            answer = client.get(action, query_string=fields)
            sent += 1
            if answer.status_code != 200:
                refused.append(f"{action}?{fields}: {answer.status}")
    assert refused == []
    assert sent >= 10  # the walk found the consoles' forms
