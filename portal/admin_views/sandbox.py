"""Sandbox controls of `/portal`: put the sandbox practice's records back to their seed
(saying first what is deleted), make its sync go stale or recover, make it refuse the next
booking, and fire a subscribed webhook event. Reached from Home; not for Viewers."""

from flask import current_app, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import readable
from portal.admin_views.base import PortalAccess, attempt, signed_in_user
from portal.extensions import db
from portal.models import Institution
from portal.services import events
from portal.services.accounts.roles import Permission
from portal.services.dashboards import sandbox_summary
from portal.services.records import sandbox_controls, sandbox_sync, sandbox_webhooks
from portal.services.syncs import health

SYNC_DONE = {
    "stale": "The sandbox sync is stale now: its alerts are on their way.",
    "recover": "The sandbox sync is healthy again: its recovery is on its way.",
}


class SandboxView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_ONBOARDING

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=["GET", "POST"])
    def index(self):
        if request.method == "POST" and attempt(
            sandbox_controls.reset,
            current_user.organization,
            actor=signed_in_user(),
            success="The sandbox practice has its seeded records again.",
        ):
            return redirect(url_for("portal.index"))
        return self.render("portal/sandbox.html", **_page(current_user.organization))

    @expose("/sync", methods=["POST"])
    def sync(self):
        state, side = request.form.get("state", ""), request.form.get("side", "")
        user = signed_in_user()
        attempt(sandbox_sync.change, user.organization, state=state, side=side, actor=user,
                success=SYNC_DONE.get(state))  # fmt: skip
        return redirect(url_for(".index"))

    @expose("/failed-booking", methods=["POST"])
    def failed_booking(self):
        on = request.form.get("on") == "1"
        success = (
            "The next appointment booked in your sandbox will be refused."
            if on
            else "Bookings in your sandbox go through again."
        )
        user = signed_in_user()
        attempt(sandbox_controls.fail_next_booking, user.organization, on=on, actor=user,
                success=success)  # fmt: skip
        return redirect(url_for(".index"))

    @expose("/events", methods=["POST"])
    def fire_event(self):
        name = request.form.get("event", "")
        success = f"{events.label(name)} queued: it appears in the delivery log within seconds."
        user = signed_in_user()
        attempt(sandbox_webhooks.fire, user.organization, name, actor=user, success=success)
        return redirect(url_for(".index"))


def _page(organization) -> dict:
    summary = sandbox_summary(organization)
    sync = sandbox_sync.sandbox_sync(organization)
    fireable = sandbox_webhooks.fireable(organization)
    return {
        "institution": db.session.get(Institution, summary.institution_id) if summary else None,
        "sync": sync,
        "sync_state": {
            "Reads": health.words(sync.last_read_at),
            "Writes": health.words(sync.last_write_at),
        }
        if sync
        else {},
        "stale_after": readable.duration(current_app.config["SYNC_STALE_MINUTES"] * 60),
        "fireable": [(name, events.label(name)) for name in fireable],
    }
