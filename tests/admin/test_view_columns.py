"""Every column a console list, details page or export names is something its row has: an
attribute, a relationship or a property of the model, or a formatter of the view. A name
that is none of them shows as an empty cell for every row (the ops Imports list showed no
organization for any import: the model had no such relationship)."""

import re

from sqlalchemy import inspect

from tests.admin.test_page_words import views


def _columns(view) -> set[str]:
    names = set()
    for listed in ("column_list", "column_details_list", "column_export_list"):
        for column in getattr(view, listed, None) or ():
            names.add(column if isinstance(column, str) else column.key)
    return names


def test_every_named_column_is_something_the_row_has(app):
    missing = []
    with app.app_context():
        for view in views():
            model = view.model
            known = set(inspect(model).all_orm_descriptors.keys()) | set(dir(model))
            formatted = set(view.column_formatters or {}) | set(
                getattr(view, "column_formatters_export", None) or {}
            )
            missing += [
                f"{view.endpoint}: {name}"
                for name in sorted(_columns(view))
                if name.split(".")[0] not in known and name not in formatted
            ]
    assert missing == []


def test_every_column_reads_as_words(app):
    """A column without a label of its own is named as people write it: "Last read",
    "Organization", "Credentials URL", not "Last Read At", "Organization Id", "Credentials Url"."""
    code_like = re.compile(r"_|\b(Id|At|Url|Api|Ip)$")
    found = []
    with app.test_request_context():
        for view in views():
            for columns in (view.get_list_columns, view.get_details_columns,
                            view.get_export_columns):  # fmt: skip
                found += [f"{view.endpoint}: {label}" for _, label in columns()
                          if code_like.search(str(label))]  # fmt: skip
    assert found == []
