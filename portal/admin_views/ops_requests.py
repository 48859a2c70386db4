"""Ops queues for activation requests (fulfil or reject), enrollments (deactivate) and
access requests (cancel or expire), each in bulk."""

from sqlalchemy.orm import joinedload

from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.models import ActivationRequest, Enrollment, RequestStatus
from portal.services.decisions import already_decided
from portal.services.onboarding import activations, consent, deactivations, enrollments

SKIPPED = "Requests no longer pending are skipped."


def not_pending(request) -> str | None:
    """Why a request is skipped by a decision: it was decided (by whom) or closed."""
    if request.status is RequestStatus.PENDING:
        return None
    if getattr(request, "decided_by_id", None) is not None:
        return already_decided(request)
    return f"already {request.status.value}."


class ActivationRequestsView(BulkActionsMixin, OpsModelView):
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
    column_filters = ["status", "created_at", "decided_at"]
    column_default_sort = ("created_at", True)
    bulk_actions = {
        "fulfil": BulkAction(
            "Fulfil",
            activations.fulfil,
            f"The requested locations become active and billable; the developers are emailed. "
            f"{SKIPPED}",
            done="{rows} fulfilled; the developers are emailed.",
            noun="request",
            refusal=not_pending,
            confirm=False,
        ),
        "reject": BulkAction(
            "Reject",
            activations.reject,
            f"No location is activated; the developers are emailed the reason. {SKIPPED}",
            done="{rows} rejected; the developers are emailed.",
            noun="request",
            reason=True,
            refusal=not_pending,
        ),
    }

    def get_query(self):
        # Each row names its institution: loaded with the page, not one query per row.
        institution = joinedload(ActivationRequest.enrollment).joinedload(Enrollment.institution)
        return super().get_query().options(institution)


class EnrollmentsView(BulkActionsMixin, OpsModelView):
    column_list = ["organization", "institution", "mode", "status", "status_reason", "created_at"]
    column_filters = ["status", "mode", "created_at", "status_changed_at"]
    column_searchable_list = ["institution.name"]
    bulk_actions = {
        "deactivate": BulkAction(
            "Deactivate",
            deactivations.deactivate_many,
            "Each organization loses API access to these institutions now, and billing for "
            "their locations stops. Nothing is deleted. Enrollments already deactivated are "
            "skipped.",
            done="{rows} deactivated; billing for each stopped.",
            noun="enrollment",
            refusal=lambda enrollment: enrollments.refusal(enrollment, "deactivate"),
        ),
    }


class AccessRequestsView(BulkActionsMixin, OpsModelView):
    column_list = [
        "created_at",
        "organization",
        "institution",
        "status",
        "last_sent_at",
        "expires_at",
        "decided_at",
    ]
    column_filters = ["status", "created_at", "expires_at", "decided_at"]
    column_default_sort = ("created_at", True)
    column_exclude_list = column_details_exclude_list = ["token_digest"]
    column_export_exclude_list = ["token_digest"]
    bulk_actions = {
        "cancel": BulkAction(
            "Cancel",
            consent.cancel_by_staff,
            "The practices' links stop working and each developer's request is closed, as if "
            f"they had cancelled it. {SKIPPED}",
            done="{rows} cancelled.",
            noun="access request",
            refusal=not_pending,
        ),
        "expire": BulkAction(
            "Expire now",
            consent.expire_by_staff,
            "The requests expire now instead of after 30 days: the links stop working and "
            f'each developer sees the institution failed with "consent expired". {SKIPPED}',
            done="{rows} expired.",
            noun="access request",
            refusal=not_pending,
        ),
    }
