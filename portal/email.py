"""One small function per message. Each renders `templates/email/<name>.txt|html` into the
outbox, inside the caller's transaction.

Every link is built from BASE_URL, never from the request: the Host header is the client's
to choose, and a reset link pointing at someone else's host hands them the token."""

from datetime import timedelta

from flask import current_app

from portal import catalogue, inputs
from portal.models import GrantStatus, Institution, OutboundEmail, User
from portal.services.accounts import members
from portal.services.delivery import outbox
from portal.services.naming import fit


def link(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` under BASE_URL, in a request or not."""
    # Only the path comes from the URL map; the scheme and host are BASE_URL's alone.
    path = current_app.url_map.bind("", script_name="/").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def subject_line(text: str) -> str:
    """One header line that fits its column: line breaks and control characters become
    spaces (a name with CR/LF must not break the message), and long names are cut."""
    return fit(inputs.one_line_text(text), OutboundEmail.subject)


def _enqueue(template: str, *, subject: str, **context) -> None:
    outbox.enqueue(template, subject=subject_line(subject), **context)


def welcome(user: User, sandbox: Institution) -> None:
    _enqueue(
        "welcome",
        to=user.email,
        subject="Welcome to SyncPortal",
        organization=user.organization,
        user=user,
        sandbox=sandbox,
        portal_url=link("portal.index"),
    )


def signup_attempted(user: User) -> None:
    """To the owner of an address someone tried to sign up with again."""
    _enqueue(
        "signup_attempted",
        to=user.email,
        subject="Someone tried to sign up with your email address",
        organization=user.organization,
        user=user,
        login_url=link("auth.login"),
        reset_url=link("auth.forgot_password"),
    )


def password_reset(user: User, raw_token: str, ttl: timedelta) -> None:
    _enqueue(
        "password_reset",
        to=user.email,
        subject="Reset your SyncPortal password",
        organization=user.organization,
        user=user,
        reset_url=link("auth.reset_password", token=raw_token),
        minutes=int(ttl.total_seconds() // 60),
    )


def invitation(invitation, raw_token: str, inviter: User) -> None:
    _enqueue(
        "invitation",
        to=invitation.email,
        subject=f"{inviter.name} invited you to {invitation.organization.name} on SyncPortal",
        organization=invitation.organization,
        invitation=invitation,
        inviter=inviter,
        accept_url=link("invitations.accept", token=raw_token),
    )


def upgrade_decided(upgrade, requester: User | None) -> None:
    """To the billing address and the admin who asked."""
    for address in sorted({upgrade.billing_email} | ({requester.email} if requester else set())):
        _enqueue(
            "upgrade_decided",
            to=address,
            subject=f"Your SyncPortal upgrade request was {upgrade.status.value}",
            organization=upgrade.organization,
            upgrade=upgrade,
            portal_url=link("portal.index"),
        )


def _sync_message(template: str, subject: str, user: User, sync, enrollment, **context) -> None:
    _enqueue(
        template,
        to=user.email,
        subject=f"{subject}: {sync.institution.name}",
        organization=user.organization,
        user=user,
        sync=sync,
        system=catalogue.name_of(sync.ehr),
        institution_url=link("portal_institutions.institution", enrollment_id=enrollment.id)
        if enrollment
        else link("portal.index"),
        **context,
    )


# The sync lifecycle's emails (see `syncs.lifecycle.TRANSITIONS`): to each admin of the
# organization that created the sync, with the enrollment its link opens.


def sync_failed(user: User, sync, enrollment, reason: str) -> None:
    _sync_message("sync_failed", "Sync failed", user, sync, enrollment, reason=reason)


def credentials_rejected(user: User, sync, enrollment, reason: str) -> None:
    _sync_message(
        "credentials_rejected", "Credentials rejected", user, sync, enrollment, reason=reason
    )


def install_window_confirmed(user: User, sync, enrollment, reason: str = "") -> None:
    _sync_message("install_window_confirmed", "Install window confirmed", user, sync, enrollment)


def sync_installed(user: User, sync, enrollment, reason: str = "") -> None:
    _sync_message("sync_installed", "Sync installed", user, sync, enrollment)


def practice_login(institution: Institution, raw_token: str) -> None:
    _enqueue(
        "practice_login",
        to=institution.email,
        subject=f"Sign in to manage the apps connected to {institution.name}",
        institution=institution,
        login_url=link("practice.sign_in", token=raw_token),
    )


def access_requested(request, enrollment, raw_token: str) -> None:
    """To the practice: which developer asks for which locations, and where to decide."""
    institution = enrollment.institution
    _enqueue(
        "access_requested",
        to=institution.email,
        subject=f"{enrollment.organization.name} asks to connect to {institution.name}",
        organization=enrollment.organization,
        institution=institution,
        developer=enrollment.organization,
        locations=[g.location for g in enrollment.grants if g.status is GrantStatus.REQUESTED],
        decide_url=link("practice.access_request", token=raw_token),
        expires_at=request.expires_at,
    )


def access_decided(enrollment, *, granted: bool) -> None:
    _to_admins(
        "access_decided",
        enrollment,
        f"{enrollment.institution.name} {'granted' if granted else 'denied'} your access request",
        granted=granted,
    )


def access_revoked(enrollment) -> None:
    _to_admins("access_revoked", enrollment, f"{enrollment.institution.name} revoked your access")


def _to_admins(template: str, enrollment, subject: str, **context) -> None:
    for admin in members.admins(enrollment.organization):
        _enqueue(
            template,
            to=admin.email,
            subject=subject,
            organization=enrollment.organization,
            user=admin,
            enrollment=enrollment,
            institution_url=link("portal_institutions.institution", enrollment_id=enrollment.id),
            **context,
        )


def activation_decided(activation, requester: User | None) -> None:
    if requester is None:
        return
    _enqueue(
        "activation_decided",
        to=requester.email,
        subject=f"Additional locations {activation.status.value}: "
        f"{activation.enrollment.institution.name}",
        organization=activation.organization,
        user=requester,
        activation=activation,
        institution_url=link(
            "portal_institutions.institution", enrollment_id=activation.enrollment_id
        ),
    )


def access_closed(enrollment, what_happened: str) -> None:
    _to_admins(
        "access_closed",
        enrollment,
        f"Your access request to {enrollment.institution.name} {what_happened}",
        what_happened=what_happened,
    )


def webhook_endpoint_turned_off(endpoint, organization, reason: str) -> None:
    """To each admin: an endpoint failed for 48 hours and was turned off."""
    for admin in members.admins(organization):
        outbox.enqueue(
            "webhook_endpoint_turned_off",
            to=admin.email,
            subject="A webhook endpoint was turned off after 48 hours of failures",
            organization=organization,
            user=admin,
            endpoint=endpoint,
            reason=reason,
            webhooks_url=link("portal_webhooks.index"),
        )


def sync_alert(admin: User, alert, enrollment) -> None:
    """To an admin: a sync stopped reading or writing (`alert.down`), or started again."""
    outbox.enqueue(
        "sync_alert",
        to=admin.email,
        subject=f"{alert.headline}: {alert.sync.institution.name}",
        organization=enrollment.organization,
        user=admin,
        alert=alert,
        sync=alert.sync,
        system=catalogue.name_of(alert.sync.ehr),
        institution_url=link("portal_institutions.institution", enrollment_id=enrollment.id),
    )
