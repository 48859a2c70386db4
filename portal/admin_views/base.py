"""Base classes for both consoles.

`PortalModelView` scopes every read and write of `/portal` to the signed-in user's
organization: lists, counts, the edit/details/delete views, relationship choices, ajax
lookups, the ids an action receives, and the organization set on save.
"""

from datetime import datetime
from enum import Enum
from functools import wraps

from flask import abort, flash, make_response, redirect, request, session, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_login import current_user

from portal import readable
from portal.admin_views import csv_exports, filters
from portal.extensions import db
from portal.models import Mode
from portal.services import Forbidden, NotFound, PortalError, tenancy
from portal.services.accounts import roles
from portal.services.accounts.roles import Permission


def words(value) -> str:
    """Words for whatever a column holds: labels for statuses, readable times, no JSON."""
    if isinstance(value, Enum):
        return getattr(value, "label", str(value.value))
    if isinstance(value, datetime):
        return readable.when(value)
    if isinstance(value, str):
        return readable.text(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return " · ".join(f"{k.replace('_', ' ')}: {words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(words(v) for v in value)
    return "" if value is None else str(value)


def _shown(view, value, name: str) -> str:
    return words(value)


def _stamped(view, value: datetime, name: str) -> str:
    return readable.stamp(value)


# Pages show every type as words (see `words`); downloads keep sortable times.
SHOWN = {kind: _shown for kind in (type(None), bool, list, dict, Enum, datetime)}
EXPORTED = {kind: _shown for kind in (type(None), bool, list, dict, Enum)} | {datetime: _stamped}


EXPORT_BATCH = 1000

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

ROW_VIEWS = {
    "edit_view": "can_edit",
    "details_view": "can_view_details",
    "delete_view": "can_delete",
    "create_view": "can_create",
}


def current_mode() -> Mode:
    """The header's Test/Production switch; production only once the org is upgraded."""
    organization = getattr(current_user, "organization", None)
    if session.get("mode") == Mode.PRODUCTION and organization and organization.production_enabled:
        return Mode.PRODUCTION
    return Mode.SANDBOX


def not_in_this_mode(view, model, row_id: int, *conditions):
    """After a lookup in the current mode found nothing: a row of the organization's other
    mode (a link from an email, a tab left in the other mode) gets a page that offers to
    switch; anything else is not found."""
    organization = current_user.organization
    other = Mode.SANDBOX if current_mode() is Mode.PRODUCTION else Mode.PRODUCTION
    allowed = other is Mode.SANDBOX or organization.production_enabled
    if not (allowed and tenancy.is_visible(model, organization, row_id, other, *conditions)):
        abort(404)
    page = view.render("portal/other_mode.html", mode=other, next=request.full_path)
    abort(make_response(page, 200))


def signed_in_user():
    """The signed-in user as a model object (what services take as `actor`)."""
    return current_user._get_current_object()


def attempt(call, *args, success: str | None = None, **kwargs):
    """Run a service call from a view and return its result. Refusals become a flash
    message and None, while Forbidden and NotFound become 403 and 404 so nothing leaks.
    The services called this way return what they changed (never None on success)."""
    try:
        result = call(*args, **kwargs)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except PortalError as error:
        flash(str(error), "danger")
        return None
    if success:
        flash(success, "success")
    return result


def back_with(refusal: str | None, back: str):
    """A page whose action cannot happen now goes back to `back` saying why (a warning),
    instead of asking a question or showing a form whose answer would be refused. None when
    the action can happen."""
    if not refusal:
        return None
    flash(refusal, "warning")
    return redirect(back)


def writers_only(page):
    """A GET page of a view that only those holding the view's `writes` permission open (a
    form nobody may submit is not shown either): 403 for the rest, as for their POSTs."""

    @wraps(page)
    def guarded(view, *args, **kwargs):
        if not roles.can(current_user, view.writes):
            return view.refuse_role(view.writes)
        return page(view, *args, **kwargs)

    return guarded


def _signed_in() -> bool:
    return current_user.is_authenticated


def _refuse(name: str):
    if not _signed_in():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)


class _Guarded:
    """Shared access rules: anonymous users go to sign-in, the wrong kind of user gets 403."""

    def is_accessible(self) -> bool:
        return _signed_in() and self.allows(current_user)

    def allows(self, user) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def inaccessible_callback(self, name, **kwargs):
        return _refuse(name)


class PortalAccess(_Guarded):
    """Members of an organization, by role (see `services.accounts.roles`): `reads` opens the
    view's pages and shows it in the menu; `writes` is needed for every POST it answers and
    for its `writers_only` pages. A refusal of a member is a 403 and an audit row."""

    reads = Permission.READ
    writes = Permission.MANAGE_ONBOARDING

    def __init_subclass__(cls, **kwargs):
        # The old admin flag would now be ignored, leaving a page open: refuse it loudly.
        if "admin_only" in vars(cls):
            raise TypeError(f"{cls.__name__}: say who may use it with `reads`/`writes`.")
        super().__init_subclass__(**kwargs)

    def allows(self, user) -> bool:
        return roles.can(user, self.reads)

    def inaccessible_callback(self, name, **kwargs):
        if _signed_in() and current_user.organization_id:
            return self.refuse_role(self.reads)
        return _refuse(name)

    def _handle_view(self, name, **kwargs):
        refused = super()._handle_view(name, **kwargs)
        writing = request.method not in SAFE_METHODS
        if refused is None and writing and not roles.can(current_user, self.writes):
            return self.refuse_role(self.writes)
        return refused

    def refuse_role(self, permission: Permission):
        roles.refuse(signed_in_user(), permission, request.path)
        abort(403)


class OpsAccess(_Guarded):
    def allows(self, user) -> bool:
        return bool(user.is_staff)


class PortalIndexBase(PortalAccess, AdminIndexView):
    pass


class OpsIndexBase(OpsAccess, AdminIndexView):
    pass


class _BaseModelView(ModelView):
    page_size = 20
    can_set_page_size = True
    named_filter_urls = True
    can_create = can_edit = can_delete = False
    can_view_details = True
    can_export = True
    column_default_sort = ("id", True)
    filter_converter = filters.Converter()
    column_type_formatters = {**typefmt.BASE_FORMATTERS, **SHOWN}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **SHOWN}
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, **EXPORTED}

    def __init__(self, model, name=None, **kwargs):
        super().__init__(model, db, name=name, **kwargs)

    def get_column_names(self, only_columns, excluded_columns):
        # The columns of lists, details pages and exports; filters keep Flask-Admin's names,
        # which their URLs are made of (`flt0_created_at_between`).
        labels = self.column_labels or {}
        return [
            (column, name if column in labels or not isinstance(column, str) else
             self._readable_name(column))
            for column, name in super().get_column_names(only_columns, excluded_columns)
        ]  # fmt: skip

    def _readable_name(self, name: str) -> str:
        """A column without a label, as people write it: `last_read_at` "Last read",
        `organization_id` "Organization" (the row it points to), `credentials_url`
        "Credentials URL"; Flask-Admin's own reads "Last Read At", "Organization Id"."""
        words = name.split("_")
        points = words[-1] == "id" and hasattr(self.model, "_".join(words[:-1]))
        if points or (words[-1] == "at" and len(words) > 1):
            words.pop()
        return readable.sentence(words)

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        # A format we do not offer names no page (Flask-Admin says "Permission denied.").
        if export_type not in self.export_types:
            abort(404)
        return super().export(export_type)

    def _export_csv(self, return_url):
        """Stream exactly the rows the current search, filters and sort select, in batches."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _, query = self.get_list(
            0,
            sort[0] if sort else None,
            args.sort_desc,
            args.search,
            args.filters,
            execute=False,
            page_size=0,
        )
        names = [name for name, _ in self._export_columns]

        def rows():
            yield [title for _, title in self._export_columns]
            yield from csv_exports.values(self, query, names, EXPORT_BATCH)

        return csv_exports.response(rows(), self.get_export_name(export_type="csv"))

    def get_filters(self):
        return filters.harden(super().get_filters())

    def get_invalid_value_msg(self, value, filter):
        return filters.invalid_value_message(self, value, filter)

    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        # Garbage in the query string is ignored rather than sent to the database.
        args.search = filters.clean_text(args.search) if args.search else args.search
        args.page = args.page if 0 <= args.page < filters.MAX_PAGE else 0
        return args

    def _handle_view(self, name, **kwargs):
        # A disabled row view is a page that does not exist, not a redirect to the list.
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in ROW_VIEWS and not getattr(self, ROW_VIEWS[name]):
            abort(404)
        return refused


class OpsModelView(OpsAccess, _BaseModelView):
    """A staff list over every organization; its status filter counts the rows per status."""

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        status = getattr(self.model, "status", None)
        if groups and status is not None:
            groups = filters.with_counts(groups, self._filters, filters.status_counts(status))
        return groups


class PortalModelView(PortalAccess, _BaseModelView):
    """A list scoped to the current organization (and mode where `mode_scoped`)."""

    mode_scoped = False

    def scope(self):
        mode = current_mode() if self.mode_scoped else None
        return tenancy.visible(self.model, current_user.organization, mode)

    def get_query(self):
        return super().get_query().filter(self.scope())

    def get_count_query(self):
        return super().get_count_query().filter(self.scope())

    def get_one(self, id):
        if not str(id).isdigit():
            abort(404)
        found = self.get_query().filter(self.model.id == int(id)).one_or_none()
        if found is None:
            tenancy.probe_audited(self.model, [id])
            abort(404)
        return found

    def handle_action(self, return_view=None):
        ids = request.form.getlist("rowid")
        if not all(i.isdigit() for i in ids):
            abort(404)
        wanted = {int(i) for i in ids}
        found = {row.id for row in self.get_query().filter(self.model.id.in_(wanted))}
        if found != wanted:
            tenancy.probe_audited(self.model, wanted - found)
            abort(404)
        return super().handle_action(return_view)

    def create_form(self, obj=None):
        return self._scope_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._scope_choices(super().edit_form(obj))

    def _scope_choices(self, form):
        for field in form:
            model = _field_model(field)
            if model is not None:
                field.query = db.session.query(model).filter(
                    tenancy.visible(model, current_user.organization)
                )
        return form

    def _create_ajax_loader(self, name, options):
        loader = super()._create_ajax_loader(name, options)
        unscoped = loader.get_query

        def scoped_query():
            return unscoped().filter(tenancy.visible(loader.model, current_user.organization))

        loader.get_query = scoped_query
        loader.get_one = lambda pk: scoped_query().filter(loader.model.id == pk).one_or_none()
        return loader

    def on_model_change(self, form, model, is_created):
        if hasattr(model, "organization_id"):
            model.organization_id = current_user.organization_id


def _field_model(field):
    query_factory = getattr(field, "query_factory", None)
    if query_factory is None:
        return None
    try:
        return query_factory().column_descriptions[0]["entity"]
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
