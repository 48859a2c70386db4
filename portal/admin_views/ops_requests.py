"""Ops queues for issue-6 work: activation requests (fulfil or reject in bulk) and
enrollments (deactivate in bulk, after a server-side confirmation page)."""

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select

from portal.admin_views.base import OpsModelView, attempt
from portal.extensions import db
from portal.forms import ReasonForm
from portal.models import ActivationRequest, Enrollment
from portal.services import activations, deactivations


def _chosen(model, ids) -> list:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    return db.session.scalars(select(model).where(model.id.in_(wanted)).order_by(model.id)).all()


def _ids_from_query() -> list[str]:
    return request.args.get("ids", "").split(",")


class ActivationRequestsView(OpsModelView):
    column_list = [
        "created_at",
        "organization",
        "enrollment.institution",
        "locations",
        "status",
        "reason",
        "decided_at",
    ]
    column_labels = {"enrollment.institution": "Institution"}
    column_filters = ["status"]
    column_default_sort = ("created_at", True)

    @action("fulfil", "Fulfil", "Activate the requested locations of the selected requests?")
    def action_fulfil(self, ids):
        count = []
        attempt(lambda: count.append(activations.fulfil(_me(), _chosen(ActivationRequest, ids))))
        if count:
            flash(f"{count[0]} request(s) fulfilled; the developers are emailed.", "success")

    @action("reject", "Reject…")
    def action_reject(self, ids):
        return redirect(url_for(".reject", ids=",".join(ids)))

    @expose("/reject", methods=["GET", "POST"])
    def reject(self):
        chosen = _chosen(ActivationRequest, _ids_from_query())
        form = ReasonForm()
        if form.validate_on_submit() and attempt(
            activations.reject,
            _me(),
            chosen,
            reason=form.reason.data,
            success=f"{len(chosen)} request(s) rejected; the developers are emailed.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("ops/reject.html", form=form, chosen=chosen, what="activation requests")


class EnrollmentsView(OpsModelView):
    column_list = ["organization", "institution", "mode", "status", "status_reason", "created_at"]
    column_filters = ["status", "mode"]
    column_searchable_list = ["institution.name"]

    @action("deactivate", "Deactivate…")
    def action_deactivate(self, ids):
        return redirect(url_for(".deactivate", ids=",".join(ids)))

    @expose("/deactivate", methods=["GET", "POST"])
    def deactivate(self):
        chosen = _chosen(Enrollment, _ids_from_query())
        if request.method == "POST" and attempt(
            deactivations.deactivate_many,
            _me(),
            chosen,
            success=f"{len(chosen)} enrollment(s) deactivated; billing for them stopped.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("ops/confirm_deactivate.html", chosen=chosen)


def _me():
    return current_user._get_current_object()
