"""The Institutions page of `/portal`: tabs, search and status filter over the organization's
enrollments, the one next action per row, and each institution's own page."""

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup

from portal import catalogue, readable
from portal.admin_views.access import AccessActions
from portal.admin_views.base import (
    PortalModelView,
    attempt,
    back_with,
    current_mode,
    not_in_this_mode,
    signed_in_user,
    writers_only,
)
from portal.models import Enrollment, EnrollmentStatus, GrantStatus, Location
from portal.onboarding_forms import InstitutionForm, SyncForm
from portal.services import PortalError
from portal.services.onboarding import (
    access,
    activations,
    consent,
    enrollments,
    institutions,
    overviews,
)
from portal.services.records import pending_writes, uploads
from portal.services.syncs import health, keys, setup

BADGES = {
    EnrollmentStatus.NEEDS_SYNC: "warning",
    EnrollmentStatus.NEEDS_CREDENTIALS: "warning",
    EnrollmentStatus.NEEDS_SCHEDULE: "warning",
    EnrollmentStatus.NEEDS_LOCATIONS: "warning",
    EnrollmentStatus.INSTALLING: "info",
    EnrollmentStatus.AWAITING_CONSENT: "info",
    EnrollmentStatus.FAILED: "danger",
    EnrollmentStatus.LIVE: "success",
    EnrollmentStatus.DEACTIVATED: "secondary",
}


def _name_link(view, context, row, name):
    url = url_for(".institution", enrollment_id=row.id)
    return Markup('<a href="{}">{}</a>').format(url, row.institution.name)


def _badge(view, context, row, name):
    return Markup('<span class="badge badge-{} status-badge">{}</span>').format(
        BADGES[row.status], enrollments.LABELS[row.status]
    )


class InstitutionsView(AccessActions, PortalModelView):
    """The organization's enrollments in the current mode."""

    mode_scoped = True
    list_template = "portal/institutions/list.html"
    column_list = ["institution.name", "status", "created_at"]
    column_labels = {"institution.name": "Institution", "created_at": "Created"}
    column_searchable_list = ["institution.name"]
    column_display_actions = False  # the name links to the institution's page
    column_select_related_list = [Enrollment.institution]  # one joined query, not one per row
    column_sortable_list = [("institution.name", "institution.name"), "status", "created_at"]
    column_default_sort = [("created_at", True), ("id", True)]
    column_formatters = {"institution.name": _name_link, "status": _badge}
    column_formatters_export = {"status": lambda v, c, row, n: row.status.label}
    column_details_list = ["institution.name", "institution.subdomain", "status", "created_at"]

    def search_placeholder(self) -> str:
        return "Search by name"

    def tab(self) -> str:
        wanted = request.args.get("tab", "all")
        return wanted if wanted in overviews.TAB_LABELS else "all"

    def status_filter(self) -> EnrollmentStatus | None:
        wanted = request.args.get("status", "")
        known = {status.value for status in EnrollmentStatus}
        return EnrollmentStatus(wanted) if wanted in known else None

    def status_choices(self) -> list[tuple[str, str]]:
        return [(status.value, label) for status, label in enrollments.LABELS.items()]

    def _tabbed(self, query):
        clause = overviews.tab_clause(self.tab())
        query = query if clause is None else query.filter(clause)
        status = self.status_filter()
        return query if status is None else query.filter(Enrollment.status == status)

    def get_query(self):
        return self._tabbed(super().get_query())

    def get_count_query(self):
        return self._tabbed(super().get_count_query())

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        # Ties (same name, same status) always come back in the same order: paging is stable.
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(Enrollment.id.desc()), joins

    def render(self, template, **kwargs):
        if template == self.list_template:
            facts = overviews.page_facts(kwargs["data"])
            kwargs.update(
                facts=facts,
                next_actions={
                    row.id: overviews.next_action(row, facts[row.id].syncs)
                    for row in kwargs["data"]
                },
                tab=self.tab(),
                tab_labels=overviews.TAB_LABELS,
                tab_counts=overviews.tab_counts(current_user.organization, current_mode()),
                health=health,
                system_name=catalogue.name_of,
            )
        return super().render(template, **kwargs)

    @expose("/add/", methods=["GET", "POST"])
    @writers_only
    def create_institution(self):
        form = InstitutionForm()
        if form.is_submitted() and not form.validate():
            # Every field's problem at once: the form's own checks and the service's rules.
            _add_errors(form, institutions.problems(form.details()))
        elif form.is_submitted() and (yours := self.yours_for(form)) is not None:
            return self.render_yours(form, yours)
        elif form.is_submitted() and (match := self.match_for(form)) is not None:
            return self.render_match(form, match)
        elif form.is_submitted():
            try:
                enrollment = institutions.create(
                    form.details(), actor=signed_in_user(), mode=current_mode()
                )
            except institutions.InvalidDetails as error:
                _add_errors(form, error.errors)
            except PortalError as error:
                flash(str(error), "danger")
            else:
                flash(f"{enrollment.institution.name} created. Next: create its sync.", "success")
                return redirect(url_for(".index_view", tab="todo"))
        return self.render("portal/institutions/create.html", form=form)

    @expose("/<int:enrollment_id>/")
    def institution(self, enrollment_id: int):
        enrollment = self._enrollment(enrollment_id)
        granted = activations.location_access(enrollment)
        can_ask_again = consent.may_ask_again(enrollment)
        return self.render(
            "portal/institutions/detail.html",
            enrollment=enrollment,
            institution=enrollment.institution,
            syncs=enrollment.institution.syncs,
            sees_practice=access.sees_practice(enrollment),
            live_systems=catalogue.live_systems(enrollment.institution),
            access=granted,
            active_locations=[i for i, state in granted.items() if state is GrantStatus.ACTIVE],
            health=health,
            catalogue=catalogue,
            labels=enrollments.LABELS,
            badges=BADGES,
            product_key=keys.product_key,
            extension_token=keys.extension_token,
            can_activate_more=bool(activations.available_locations(enrollment)),
            can_add_sync=enrollments.refusal(enrollment, "add_sync") is None,
            can_ask_again=can_ask_again,
            ask_pause=consent.ask_pause(enrollment) if can_ask_again else None,
            last_uploads=uploads.last_uploads,
            writes_waiting=lambda sync: pending_writes.waiting(enrollment.organization, sync),
        )

    @expose("/<int:enrollment_id>/syncs/new/", methods=["GET", "POST"])
    @writers_only
    def create_sync(self, enrollment_id: int):
        enrollment = self._enrollment(enrollment_id)
        page = url_for(".institution", enrollment_id=enrollment.id)
        if refused := back_with(enrollments.refusal(enrollment, "add_sync"), page):
            return refused
        form = SyncForm()
        if form.validate_on_submit() and attempt(
            setup.create_sync,
            enrollment,
            ehr=form.ehr.data,
            server_name=form.server_name.data or "",
            actor=signed_in_user(),
            success=f"{catalogue.name_of(form.ehr.data)} sync created.",
        ):
            return redirect(url_for(".institution", enrollment_id=enrollment.id))
        return self.render("portal/institutions/create_sync.html", form=form, enrollment=enrollment)

    @expose("/<int:enrollment_id>/locations/", methods=["GET", "POST"])
    @writers_only
    def select_locations(self, enrollment_id: int):
        enrollment = self._enrollment(enrollment_id)
        chosen = [int(i) for i in request.form.getlist("location_id") if i.isdigit()]
        activated = readable.plural(len(chosen), "location")
        if request.method == "POST" and attempt(
            activations.select_locations,
            enrollment,
            chosen,
            actor=signed_in_user(),
            success=f"{activated} activated: the institution is live.",
        ):
            return redirect(url_for(".institution", enrollment_id=enrollment.id))
        locations: list[Location] = enrollment.institution.locations
        return self.render(
            "portal/institutions/locations.html", enrollment=enrollment, locations=locations
        )

    def _enrollment(self, enrollment_id: int) -> Enrollment:
        try:
            return overviews.find_enrollment(
                current_user.organization, enrollment_id, current_mode()
            )
        except PortalError:
            not_in_this_mode(self, Enrollment, enrollment_id)


def _add_errors(form, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [*field.errors, message]
