"""One small function per message. Each renders `templates/email/<name>.txt|html` into the
outbox, inside the caller's transaction."""

from contextlib import nullcontext
from datetime import timedelta

from flask import current_app, has_request_context, url_for

from portal.models import GrantStatus, Institution, User
from portal.services.accounts import members
from portal.services.delivery import outbox
from portal.services.onboarding import catalogue


def link(endpoint: str, **values) -> str:
    """An absolute URL: from the request when there is one, else from BASE_URL (CLI, jobs)."""
    context = (
        nullcontext()
        if has_request_context()
        else current_app.test_request_context(base_url=current_app.config["BASE_URL"])
    )
    with context:
        return url_for(endpoint, _external=True, **values)


def welcome(user: User, sandbox: Institution) -> None:
    outbox.enqueue(
        "welcome",
        to=user.email,
        subject="Welcome to SyncPortal",
        organization=user.organization,
        user=user,
        sandbox=sandbox,
        portal_url=link("portal.index"),
    )


def password_reset(user: User, raw_token: str, ttl: timedelta) -> None:
    outbox.enqueue(
        "password_reset",
        to=user.email,
        subject="Reset your SyncPortal password",
        organization=user.organization,
        user=user,
        reset_url=link("auth.reset_password", token=raw_token),
        minutes=int(ttl.total_seconds() // 60),
    )


def invitation(invitation, raw_token: str, inviter: User) -> None:
    outbox.enqueue(
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
        outbox.enqueue(
            "upgrade_decided",
            to=address,
            subject=f"Your SyncPortal upgrade request was {upgrade.status.value}",
            organization=upgrade.organization,
            upgrade=upgrade,
            portal_url=link("portal.index"),
        )


def _sync_message(template: str, subject: str, user: User, sync, enrollment, **context) -> None:
    outbox.enqueue(
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
    outbox.enqueue(
        "practice_login",
        to=institution.email,
        subject=f"Sign in to manage the apps connected to {institution.name}",
        institution=institution,
        login_url=link("practice.sign_in", token=raw_token),
    )


def access_requested(request, enrollment, raw_token: str) -> None:
    """To the practice: which developer asks for which locations, and where to decide."""
    institution = enrollment.institution
    outbox.enqueue(
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
        outbox.enqueue(
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
    outbox.enqueue(
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
