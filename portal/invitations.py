"""The invitation accept page: GET names the organization, only POST creates the account."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_user

from portal.forms import AcceptInvitationForm
from portal.services import PortalError
from portal.services.accounts import invitations, users

bp = Blueprint("invitations", __name__)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept(token: str):
    try:
        invitation = invitations.find_by_link(token)
    except invitations.LinkNoLongerValid:
        return render_template("auth/link_invalid.html"), 404
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept(token, name=form.name.data, password=form.password.data)
        except invitations.LinkNoLongerValid:
            return render_template("auth/link_invalid.html"), 404
        except users.InvalidName as error:
            form.name.errors.append(str(error))
        except PortalError as error:
            flash(str(error), "danger")
        else:
            login_user(user)
            flash(f"Welcome to {invitation.organization.name}!", "success")
            return redirect(url_for("portal.index"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
