"""Ops: upgrade requests, approved or rejected in bulk."""

from portal.admin_views.base import OpsModelView
from portal.admin_views.bulk import BulkAction, BulkActionsMixin
from portal.admin_views.ops_requests import not_pending
from portal.services.accounts import upgrades


class UpgradeRequestsView(BulkActionsMixin, OpsModelView):
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
    column_filters = ["status", "created_at", "decided_at"]
    column_searchable_list = ["legal_name", "billing_email"]
    column_default_sort = ("created_at", True)
    bulk_actions = {
        "approve": BulkAction(
            "Approve",
            upgrades.approve,
            "Production mode opens for these organizations; their admins are emailed. "
            "Requests no longer pending are skipped.",
            done="{rows} approved; the organizations are emailed.",
            noun="request",
            refusal=not_pending,
            confirm=False,
        ),
        "reject": BulkAction(
            "Reject",
            upgrades.reject,
            "These organizations stay in test mode; their admins are emailed the reason. "
            "Requests no longer pending are skipped.",
            done="{rows} rejected; the organizations are emailed.",
            noun="request",
            reason=True,
            refusal=not_pending,
        ),
    }
