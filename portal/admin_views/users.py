"""The Users page: members with their roles, and pending invitations. Everyone sees it; only
Owners and Admins change it, and only they open the pages that change it."""

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from portal.admin_views.base import PortalModelView, attempt, signed_in_user, writers_only
from portal.forms import InviteForm
from portal.models import Role
from portal.services.accounts import invitations, members, roles, two_factor
from portal.services.accounts.roles import Permission


class UsersView(PortalModelView):
    writes = Permission.MANAGE_USERS
    list_template = "portal/users/list.html"
    column_list = ["name", "email", "role", "totp_enabled_at", "created_at", "last_login_at"]
    column_labels = {"last_login_at": "Last sign-in", "totp_enabled_at": "Two-factor"}
    column_formatters = {
        "totp_enabled_at": lambda v, c, user, n: "On" if user.totp_enabled_at else "Off"
    }
    column_formatters_export = column_formatters
    column_searchable_list = ["name", "email"]
    column_details_list = column_list
    column_export_list = column_list
    column_default_sort = ("created_at", False)

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["invitations"] = invitations.pending_for(current_user.organization)
            kwargs["offered"] = roles.offered_by(current_user)
            kwargs["organization"] = current_user.organization
        return super().render(template, **kwargs)

    @expose("/invite/", methods=["GET", "POST"])
    @writers_only
    def invite(self):
        form = InviteForm.for_actor(current_user)
        if form.validate_on_submit() and attempt(
            invitations.invite,
            form.email.data,
            role=Role(form.role.data),
            actor=signed_in_user(),
            success=f"Invitation sent to {form.email.data}.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/invite.html", form=form)

    @expose("/invitations/<int:invitation_id>/resend", methods=["POST"])
    @writers_only
    def resend_invitation(self, invitation_id: int):
        invitation = invitations.get_for(current_user.organization, invitation_id)
        attempt(
            invitations.resend, invitation, actor=signed_in_user(), success="Invitation resent."
        )
        return redirect(url_for(".index_view"))

    @expose("/invitations/<int:invitation_id>/cancel", methods=["GET", "POST"])
    @writers_only
    def cancel_invitation(self, invitation_id: int):
        """Asks first (what stops: the emailed link), then cancels."""
        invitation = invitations.get_for(current_user.organization, invitation_id)
        if request.method == "POST" and attempt(
            invitations.cancel,
            invitation,
            actor=signed_in_user(),
            success=f"Invitation to {invitation.email} cancelled; its link no longer works.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/cancel_invitation.html", invitation=invitation)

    @expose("/<int:user_id>/role", methods=["POST"])
    @writers_only
    def role(self, user_id: int):
        member = members.get_for(current_user.organization, user_id)
        role = request.form.get("role", "")
        if role not in set(Role):
            abort(400)
        attempt(
            members.set_role,
            member,
            Role(role),
            actor=signed_in_user(),
            success=f"{member.name} is now {Role(role).label}.",
        )
        return redirect(url_for(".index_view"))

    @expose("/two-factor-required", methods=["POST"])
    def two_factor_required(self):
        required = request.form.get("required") == "1"
        attempt(
            two_factor.set_required,
            current_user.organization,
            required,
            actor=signed_in_user(),
            success="Every member now signs in with two factors."
            if required
            else "Two-factor sign-in is now each member's choice.",
        )
        return redirect(url_for(".index_view"))

    @expose("/<int:user_id>/reset-two-factor", methods=["GET", "POST"])
    @writers_only
    def reset_two_factor(self, user_id: int):
        """Asks first (what stops: their app's codes and recovery codes), then resets."""
        member = members.get_for(current_user.organization, user_id)
        if request.method == "POST" and attempt(
            two_factor.reset,
            member,
            actor=signed_in_user(),
            success=f"{member.name}'s two-factor sign-in is reset.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/reset_two_factor.html", member=member)

    @expose("/<int:user_id>/delete", methods=["GET", "POST"])
    @writers_only
    def delete_user(self, user_id: int):
        member = members.get_for(current_user.organization, user_id)
        if request.method == "POST" and attempt(
            members.delete, member, actor=signed_in_user(), success=f"{member.email} was deleted."
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/delete.html", member=member)
