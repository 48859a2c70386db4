"""The Webhooks page of `/portal` (everyone but Viewers), for the current mode: endpoints with their
subscriptions, a secret shown once and rotatable, each endpoint's delivery log with a
failures filter, Send test event, Replay and Re-enable; and the sync alert switch."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import inputs
from portal.admin_views.base import (
    PortalAccess,
    attempt,
    back_with,
    current_mode,
    not_in_this_mode,
    signed_in_user,
)
from portal.models import WebhookEndpoint
from portal.services import PortalError, events
from portal.services.accounts.roles import Permission
from portal.services.syncs import alerts, health
from portal.services.webhooks import delivery_log, endpoints, subscriptions
from portal.webhook_forms import EndpointForm, SubscriptionForm

# What each confirmation page asks, says stops, and its button.
CONFIRMATIONS = {
    "turn-off": (
        "Turn off this endpoint?",
        "Nothing more is sent to it, and deliveries still waiting for it fail (they stay in "
        "the log, where you can replay them once it is on again).",
        "Turn it off",
    ),
    "rotate": (
        "Rotate this endpoint's secret?",
        "The current secret stops signing at once: your receiver rejects every message until "
        "it has the new secret, which is shown once on the next page.",
        "Rotate the secret",
    ),
    "delete": (
        "Delete this endpoint?",
        "Its subscriptions and its delivery log are deleted, and nothing more is sent to it. "
        "This cannot be undone.",
        "Delete it",
    ),
}
STATUS_WORDS = {
    "pending": "Waiting",
    "sending": "Sending",
    "succeeded": "Delivered",
    "failed": "Failed",
}


class WebhooksView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_WEBHOOKS

    @expose("/")
    def index(self):
        mode = current_mode()
        found = endpoints.for_organization(current_user.organization, mode)
        return self.render(
            "portal/webhooks/index.html",
            mode=mode,
            endpoints=found,
            subscriptions=subscriptions.by_endpoint(found),
            form=EndpointForm(),
            masked=endpoints.masked_secret,
            label=events.label,
            organization=current_user.organization,
        )

    @expose("/add", methods=["POST"])
    def add(self):
        form = EndpointForm()
        if form.validate_on_submit():
            try:
                created = endpoints.create(
                    current_user.organization,
                    current_mode(),
                    target_url=form.target_url.data,
                    by=signed_in_user(),
                )
            except PortalError as error:
                form.target_url.errors = [str(error)]
            else:
                return self._show_secret(created, "Endpoint added")
        return self.render("portal/webhooks/add.html", form=form), 400

    @expose("/<int:endpoint_id>/")
    def show(self, endpoint_id: int):
        return self._show(self._endpoint(endpoint_id), self._subscription_form())

    def _show(self, endpoint, form: SubscriptionForm):
        failures = request.args.get("failures") == "1"
        page = inputs.page_number(request.args.get("page"))
        log = delivery_log.page_of(endpoint, failures_only=failures, page=page)
        return self.render(
            "portal/webhooks/endpoint.html",
            endpoint=endpoint,
            subscriptions=subscriptions.by_endpoint([endpoint])[endpoint.id],
            form=form,
            log=log,
            failures=failures,
            attempts=log.attempts_of,
            label=events.label,
            status_words=STATUS_WORDS,
            masked=endpoints.masked_secret,
            ago=health.ago,
        )

    @expose("/<int:endpoint_id>/subscriptions", methods=["POST"])
    def subscribe(self, endpoint_id: int):
        endpoint = self._endpoint(endpoint_id)
        form = self._subscription_form()
        chosen = form.institution.data or ""
        if not form.validate_on_submit():
            return self._show(endpoint, form), 400
        if (
            attempt(
                subscriptions.subscribe_to,
                endpoint,
                event=form.event.data,
                institution_id=inputs.parse_id(chosen) if chosen else None,
                by=signed_in_user(),
                success=f"Subscribed to {events.label(form.event.data)}.",
            )
            is None
        ):
            return self._show(endpoint, form), 400
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    @expose("/<int:endpoint_id>/subscriptions/<int:subscription_id>/<verb>", methods=["POST"])
    def subscription_action(self, endpoint_id: int, subscription_id: int, verb: str):
        endpoint = self._endpoint(endpoint_id)
        if verb not in ("pause", "resume", "remove"):
            abort(404)
        subscription = attempt(subscriptions.get_for, endpoint, subscription_id)
        user = signed_in_user()
        if verb == "remove":
            subscriptions.unsubscribe(subscription, by=user)
        else:
            subscriptions.change(subscription, active=verb == "resume", by=user)
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    @expose("/<int:endpoint_id>/test", methods=["POST"])
    def send_test(self, endpoint_id: int):
        endpoint = self._endpoint(endpoint_id)
        attempt(
            delivery_log.send_test,
            endpoint,
            by=signed_in_user(),
            success="Test event queued: it appears in the delivery log within seconds.",
        )
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    @expose("/<int:endpoint_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
    def replay(self, endpoint_id: int, delivery_id: int):
        endpoint = self._endpoint(endpoint_id)
        delivery = attempt(delivery_log.get_for, endpoint, delivery_id)
        attempt(
            delivery_log.replay,
            delivery,
            by=signed_in_user(),
            success="Replay queued: the event is sent again as a new delivery.",
        )
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    @expose("/<int:endpoint_id>/reenable", methods=["POST"])
    def reenable(self, endpoint_id: int):
        endpoint = self._endpoint(endpoint_id)
        attempt(
            endpoints.reenable,
            endpoint,
            by=signed_in_user(),
            success="Endpoint on again: new events are delivered to it.",
        )
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    @expose("/<int:endpoint_id>/turn-off", methods=["GET", "POST"])
    def turn_off(self, endpoint_id: int):
        return self._confirmed(endpoint_id, "turn-off", self._turn_off)

    @expose("/<int:endpoint_id>/rotate", methods=["GET", "POST"])
    def rotate(self, endpoint_id: int):
        return self._confirmed(endpoint_id, "rotate", self._rotate)

    @expose("/<int:endpoint_id>/delete", methods=["GET", "POST"])
    def delete(self, endpoint_id: int):
        return self._confirmed(endpoint_id, "delete", self._delete)

    def _confirmed(self, endpoint_id: int, verb: str, act):
        """Actions that stop something are confirmed on a page that says what stops."""
        endpoint = self._endpoint(endpoint_id)
        off_already = verb == "turn-off" and not endpoint.active
        refusal = "This endpoint is off already: nothing is sent to it." if off_already else None
        if refused := back_with(refusal, url_for(".show", endpoint_id=endpoint.id)):
            return refused
        if request.method == "POST":
            return act(endpoint)
        question, stops, button = CONFIRMATIONS[verb]
        return self.render(
            "portal/webhooks/confirm.html",
            endpoint=endpoint,
            question=question,
            stops=stops,
            button=button,
        )

    def _turn_off(self, endpoint):
        attempt(
            endpoints.change, endpoint, active=False, by=signed_in_user(), success="Turned off."
        )
        return redirect(url_for(".show", endpoint_id=endpoint.id))

    def _rotate(self, endpoint):
        return self._show_secret(
            endpoints.rotate_secret(endpoint, by=signed_in_user()), "New secret"
        )

    def _delete(self, endpoint):
        endpoints.delete(endpoint, by=signed_in_user())
        flash("Endpoint deleted.", "success")
        return redirect(url_for(".index"))

    @expose("/sync-alerts", methods=["POST"])
    def sync_alerts(self):
        on = request.form.get("on") == "1"
        alerts.set_notifications(current_user.organization, on=on, actor=signed_in_user())
        return redirect(url_for(".index"))

    def _endpoint(self, endpoint_id: int):
        try:
            return endpoints.get_for(current_user.organization, current_mode(), endpoint_id)
        except PortalError:
            not_in_this_mode(self, WebhookEndpoint, endpoint_id)

    def _subscription_form(self) -> SubscriptionForm:
        form = SubscriptionForm()
        form.event.choices = [("", "Choose...")] + [
            (e, events.label(e)) for e in events.offered(current_mode())
        ]
        places = subscriptions.institutions_for(current_user.organization, current_mode())
        form.institution.choices = [("", "Choose...")] + [(str(i.id), i.name) for i in places]
        return form

    def _show_secret(self, created, heading: str):
        # The secret is rendered in this response only: never stored in clear or redirected.
        return self.render("portal/webhooks/secret.html", created=created, heading=heading)
