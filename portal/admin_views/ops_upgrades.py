"""Ops: upgrade requests, approved or rejected in bulk."""

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select

from portal.admin_views.base import OpsModelView, attempt
from portal.extensions import db
from portal.forms import ReasonForm
from portal.models import UpgradeRequest
from portal.services import upgrades


class UpgradeRequestsView(OpsModelView):
    column_list = [
        "created_at",
        "organization",
        "legal_name",
        "billing_email",
        "expected_practices",
        "status",
        "reason",
        "decided_at",
    ]
    column_filters = ["status"]
    column_searchable_list = ["legal_name", "billing_email"]
    column_default_sort = ("created_at", True)

    @action("approve", "Approve", "Approve the selected requests? Production mode opens for them.")
    def action_approve(self, ids):
        count = []
        attempt(lambda: count.append(upgrades.approve(_me(), _requests(ids))))
        if count:
            flash(f"{count[0]} request(s) approved; the organizations are emailed.", "success")

    @action("reject", "Reject…")
    def action_reject(self, ids):
        return redirect(url_for(".reject", ids=",".join(ids)))

    @expose("/reject", methods=["GET", "POST"])
    def reject(self):
        ids = [i for i in request.args.get("ids", "").split(",") if i.isdigit()]
        chosen = _requests(ids)
        form = ReasonForm()
        if form.validate_on_submit() and attempt(
            upgrades.reject,
            _me(),
            chosen,
            reason=form.reason.data,
            success=f"{len(chosen)} request(s) rejected; the organizations are emailed.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("ops/reject.html", form=form, chosen=chosen, what="upgrade requests")


def _requests(ids) -> list[UpgradeRequest]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    return db.session.scalars(select(UpgradeRequest).where(UpgradeRequest.id.in_(wanted))).all()


def _me():
    return current_user._get_current_object()
