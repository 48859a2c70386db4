"""Bulk actions for the ops queues: on the selected rows, or on every row the list's current
filters match ("apply to all N matching"), through a server-side review page.

The review page lists which rows the action applies to and which it skips, and why, before
anything changes; the service skips the same rows for the same reasons (it re-checks each
row when it runs). For "all matching" the page and its POST re-evaluate the filters from
the URL: the server never trusts a count or ids sent by the browser, and it refuses more
than `bulk_limit` rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose

from portal import readable
from portal.admin_views.base import attempt, signed_in_user

# Query arguments that describe which rows a list shows (the rest is paging and sorting).
LIST_ARGS = ("search",)


@dataclass(frozen=True)
class BulkAction:
    """One bulk operation of a queue. `run(rows, actor=..., **options)` is a service call
    that returns an Outcome; `reason=` is passed when `reason` is set, and the per-row
    choices as `{choice_option: {row id: value}}` when `choices` is set."""

    label: str
    run: Callable
    explain: str
    done: str = "{rows} updated."  # {rows}: the count of `noun`, "2 requests"
    noun: str = "row"
    reason: bool = False
    # Why a row would be skipped, for the review page (None: it applies).
    refusal: Callable[[object], str | None] | None = None
    # Per-row options to pick from on the review page: [(value, label)].
    choices: Callable[[object], list[tuple[str, str]]] | None = None
    choice_option: str = ""
    # Destructive actions on selected rows go through the review page; the others run at
    # once (after the browser's confirm()). "All matching" always shows the page.
    confirm: bool = True
    selected: bool = True
    all_matching: bool = True


def filter_args(args) -> dict[str, str]:
    """The search and filter arguments of a list URL (what selects its rows)."""
    return {k: v for k, v in args.items() if k.startswith("flt") or k in LIST_ARGS}


class BulkActionsMixin:
    """Mix into an `OpsModelView` and declare `bulk_actions = {name: BulkAction(...)}`."""

    bulk_actions: dict[str, BulkAction] = {}
    bulk_limit = 500
    bulk_preview = 50
    list_template = "ops/list.html"

    def row_name(self, row) -> str:
        """How a skipped row is named in messages."""
        return f"#{row.id}"

    def init_actions(self):
        super().init_actions()
        for name, bulk in self.bulk_actions.items():
            if bulk.selected:
                note = None if bulk.confirm else f"{bulk.label}: {bulk.explain}"
                self._actions.append((name, bulk.label + ("…" if bulk.confirm else "")))
                self._actions_data[name] = (self._on_selected(name), bulk.label, note)

    def _on_selected(self, name: str):
        def handle(ids):
            if self.bulk_actions[name].confirm:
                # Keep the list's filters so that "Back" and the result return to them.
                listed = filter_args(dict(parse_qsl(urlsplit(request.form.get("url", "")).query)))
                return redirect(url_for(".bulk_view", action=name, id=list(ids), **listed))
            self._run(name, self._rows_by_id(ids))
            return None

        return handle

    def all_matching_actions(self) -> list[tuple[str, str]]:
        return [(n, b.label) for n, b in self.bulk_actions.items() if b.all_matching]

    @expose("/bulk/", methods=["GET", "POST"])
    def bulk_view(self):
        name = request.args.get("action", "")
        bulk = self.bulk_actions.get(name)
        matching = request.args.get("all") == "1"
        if bulk is None or not (bulk.all_matching if matching else bulk.selected):
            abort(404)
        rows, total = self._matching() if matching else self._selected_rows()
        posted = request.method == "POST" and self._still_same(matching, total)
        if posted and rows and self._run(name, rows):
            return redirect(url_for(".index_view", **filter_args(request.args)))
        skipped = {row.id: why for row in rows or [] if bulk.refusal and (why := bulk.refusal(row))}
        applies = [row for row in rows or [] if row.id not in skipped]
        return self.render(
            "ops/bulk_confirm.html",
            bulk=bulk,
            rows=rows,
            total=total,
            matching=matching,
            limit=self.bulk_limit,
            shown=applies[: self.bulk_preview],
            hidden=len(applies) - len(applies[: self.bulk_preview]),
            skipped=[(row, skipped[row.id]) for row in rows or [] if row.id in skipped],
            columns=self.get_list_columns(),
            back=url_for(".index_view", **filter_args(request.args)),
        )

    def _run(self, name: str, rows: list) -> bool:
        bulk = self.bulk_actions[name]
        options = {"reason": request.form.get("reason", "")} if bulk.reason else {}
        if bulk.choices is not None:
            options[bulk.choice_option] = {
                row.id: request.form.get(f"choice_{row.id}", "") for row in rows
            }
        outcome = attempt(bulk.run, rows, actor=signed_in_user(), **options)
        if outcome is None:
            return False
        done = bulk.done.format(rows=readable.plural(len(outcome.done), bulk.noun))
        flash(done, "success" if outcome.done else "warning")
        for row, why in outcome.skipped:
            flash(f"Skipped {self.row_name(row)}: {why}", "warning")
        return True

    def _still_same(self, matching: bool, total: int) -> bool:
        # The filter is re-run on POST; if it now matches a different number of rows than
        # the page showed, show the page again rather than act on rows nobody reviewed.
        if matching and request.form.get("expected") != str(total):
            matches = readable.plural(total, "row")
            flash(f"The filter now matches {matches}. Check them and confirm again.", "warning")
            return False
        return True

    def _matching(self) -> tuple[list | None, int]:
        args = self._get_list_extra_args()
        total, query = self.get_list(
            0, None, None, args.search, args.filters, execute=False, page_size=0
        )
        if total > self.bulk_limit:
            return None, total
        return query.limit(self.bulk_limit).all(), total

    def _selected_rows(self) -> tuple[list, int]:
        ids = request.args.getlist("id")
        rows = self._rows_by_id(ids)
        if len(rows) != len(set(ids)):
            abort(404)  # a selected row no longer exists (or never did)
        return rows, len(rows)

    def _rows_by_id(self, ids) -> list:
        wanted = {int(i) for i in ids if str(i).isdigit() and len(str(i)) < 10}
        if not wanted:
            return []
        return self.get_query().filter(self.model.id.in_(wanted)).order_by(self.model.id).all()
