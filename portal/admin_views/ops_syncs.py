"""The ops Syncs queue: every organization's syncs, filterable by install method, status,
system and health, with bulk actions that go through a confirmation page."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user

from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.admin_views.sync_status import SECRET_COLUMNS, HealthFilter, health_cell
from portal.models import Sync
from portal.services import PortalError
from portal.services.onboarding import catalogue, install_ops

# action: (button label, does it need a reason?)
BULK_ACTIONS = {
    "confirm_window": ("Confirm install window", False),
    "mark_installed": ("Mark installed", False),
    "reject_credentials": ("Mark credentials rejected", True),
    "mark_failed": ("Mark failed", True),
}


class OpsSyncsView(BulkActionsMixin, OpsModelView):
    column_list = [
        "id",
        "institution",
        "created_by_org",
        "ehr",
        "install_method",
        "server_name",
        "status",
        "proposed_windows",
        "confirmed_window_start",
        "read",
        "write",
    ]
    column_labels = {
        "created_by_org": "Organization",
        "ehr": "System",
        "read": "Last read",
        "write": "Last write",
        "confirmed_window_start": "Confirmed window",
    }
    column_formatters = {
        "ehr": lambda v, c, row, n: catalogue.name_of(row.ehr),
        "read": health_cell("last_read_at"),
        "write": health_cell("last_write_at"),
    }
    column_formatters_export = {
        "read": lambda v, c, row, n: row.last_read_at,
        "write": lambda v, c, row, n: row.last_write_at,
    }
    column_filters = ["install_method", "status", "ehr", HealthFilter()]
    column_select_related_list = [Sync.institution, Sync.created_by_org]
    column_sortable_list = ["id", "status", "ehr", "install_method", "confirmed_window_start"]
    column_exclude_list = SECRET_COLUMNS
    column_details_exclude_list = SECRET_COLUMNS
    column_export_exclude_list = SECRET_COLUMNS
    # Selected syncs use the richer page below (it picks a window per sync); "all matching"
    # takes the generic page, for the actions that need no per-sync choice.
    bulk_actions = {
        "all_installed": BulkAction(
            "Mark installed",
            lambda staff, rows: install_ops.mark_installed([s.id for s in rows], actor=staff),
            "The syncs become active and their enrollments move on; each organization's "
            "admins are emailed. All change, or none if one of them cannot.",
            done="Mark installed: {n} sync(s) updated.",
            selected=False,
        ),
        "all_credentials_rejected": BulkAction(
            "Mark credentials rejected",
            lambda staff, rows, reason: install_ops.reject_credentials(
                [s.id for s in rows], reason=reason, actor=staff
            ),
            "The syncs go back to the developers' TO DO list for new credentials; each "
            "organization's admins are emailed the reason. All change, or none.",
            done="Mark credentials rejected: {n} sync(s) updated.",
            reason=True,
            selected=False,
        ),
        "all_failed": BulkAction(
            "Mark failed",
            lambda staff, rows, reason: install_ops.mark_failed(
                [s.id for s in rows], reason=reason, actor=staff
            ),
            "The syncs and their enrollments fail with this reason; each organization's "
            "admins are emailed. All change, or none.",
            done="Mark failed: {n} sync(s) updated.",
            reason=True,
            selected=False,
        ),
    }

    def _confirm(self, name: str, ids):
        return redirect(url_for(".confirm", action=name, id=list(ids)))

    @action("confirm_window", "Confirm install window")
    def action_confirm_window(self, ids):
        return self._confirm("confirm_window", ids)

    @action("mark_installed", "Mark installed")
    def action_mark_installed(self, ids):
        return self._confirm("mark_installed", ids)

    @action("reject_credentials", "Mark credentials rejected (reason)")
    def action_reject_credentials(self, ids):
        return self._confirm("reject_credentials", ids)

    @action("mark_failed", "Mark failed (reason)")
    def action_mark_failed(self, ids):
        return self._confirm("mark_failed", ids)

    @expose("/confirm/", methods=["GET", "POST"])
    def confirm(self):
        name = request.values.get("action", "")
        ids = [i for i in request.values.getlist("id") if i.isdigit()]
        if name not in BULK_ACTIONS or not ids:
            abort(404)
        try:
            selected = install_ops.load(ids)
        except PortalError:
            abort(404)
        if request.method == "POST":
            try:
                changed = self._apply(name, selected)
            except PortalError as error:
                flash(str(error), "danger")
            else:
                flash(f"{BULK_ACTIONS[name][0]}: {changed} sync(s) updated.", "success")
                return redirect(url_for(".index_view"))
        label, needs_reason = BULK_ACTIONS[name]
        return self.render(
            "ops/confirm_syncs.html",
            action=name,
            label=label,
            needs_reason=needs_reason,
            selected=selected,
            catalogue=catalogue,
        )

    def _apply(self, name: str, selected: list[Sync]) -> int:
        ids, reason = [s.id for s in selected], request.form.get("reason", "")
        if name == "confirm_window":
            choices = {s.id: request.form.get(f"window_{s.id}", "") for s in selected}
            return install_ops.confirm_windows(choices, actor=current_user)
        if name == "mark_installed":
            return install_ops.mark_installed(ids, actor=current_user)
        if name == "reject_credentials":
            return install_ops.reject_credentials(ids, reason=reason, actor=current_user)
        return install_ops.mark_failed(ids, reason=reason, actor=current_user)
