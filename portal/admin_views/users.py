"""The Users page: members and pending invitations. Everyone sees it; only admins change it,
and only admins open the pages that change it."""

from flask import redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from portal.admin_views.base import PortalModelView, admin_only, attempt, signed_in_user
from portal.forms import InviteForm
from portal.services.accounts import invitations, members


class UsersView(PortalModelView):
    list_template = "portal/users/list.html"
    column_list = ["name", "email", "is_admin", "created_at", "last_login_at"]
    column_labels = {"is_admin": "Admin", "last_login_at": "Last sign-in"}
    column_searchable_list = ["name", "email"]
    column_details_list = column_list
    column_export_list = column_list
    column_default_sort = ("created_at", False)

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["invitations"] = invitations.pending_for(current_user.organization)
        return super().render(template, **kwargs)

    @expose("/invite/", methods=["GET", "POST"])
    @admin_only
    def invite(self):
        form = InviteForm()
        if form.validate_on_submit() and attempt(
            invitations.invite,
            form.email.data,
            is_admin=form.is_admin.data,
            actor=signed_in_user(),
            success=f"Invitation sent to {form.email.data}.",
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/invite.html", form=form)

    @expose("/invitations/<int:invitation_id>/resend", methods=["POST"])
    @admin_only
    def resend_invitation(self, invitation_id: int):
        invitation = invitations.get_for(current_user.organization, invitation_id)
        attempt(
            invitations.resend, invitation, actor=signed_in_user(), success="Invitation resent."
        )
        return redirect(url_for(".index_view"))

    @expose("/invitations/<int:invitation_id>/cancel", methods=["GET", "POST"])
    @admin_only
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
    @admin_only
    def role(self, user_id: int):
        member = members.get_for(current_user.organization, user_id)
        admin = request.form.get("admin") == "1"
        attempt(
            members.set_admin,
            member,
            admin=admin,
            actor=signed_in_user(),
            success=f"{member.name} is {'now' if admin else 'no longer'} an admin.",
        )
        return redirect(url_for(".index_view"))

    @expose("/<int:user_id>/delete", methods=["GET", "POST"])
    @admin_only
    def delete_user(self, user_id: int):
        member = members.get_for(current_user.organization, user_id)
        if request.method == "POST" and attempt(
            members.delete, member, actor=signed_in_user(), success=f"{member.email} was deleted."
        ):
            return redirect(url_for(".index_view"))
        return self.render("portal/users/delete.html", member=member)
