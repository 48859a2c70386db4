"""The API Key page (Owners and Admins): create, see once, rotate, for the current mode."""

from flask import redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess, attempt, back_with, current_mode, signed_in_user
from portal.forms import RotateKeyForm
from portal.services.accounts import api_keys
from portal.services.accounts.roles import Permission


class ApiKeyView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_KEYS

    @expose("/")
    def index(self):
        mode = current_mode()
        return self.render(
            "portal/api_keys/index.html",
            mode=mode,
            keys=api_keys.keys_for(current_user.organization, mode),
            current=api_keys.current_key(current_user.organization, mode),
            rotate_form=RotateKeyForm(),
        )

    @expose("/create", methods=["POST"])
    def create(self):
        created = attempt(
            api_keys.create, current_user.organization, current_mode(), actor=signed_in_user()
        )
        return self._show_once(created)

    @expose("/<int:key_id>/rotate", methods=["POST"])
    def rotate(self, key_id: int):
        """First what stops and when, then (confirmed) the new key, shown once."""
        form = RotateKeyForm()
        key = api_keys.get_for(current_user.organization, key_id)
        if not form.validate_on_submit():
            return redirect(url_for(".index"))
        # A page opened before another rotation asks nothing about a key already replaced.
        rotated = key.replaced_at is not None
        refusal = "This key was already rotated: the keys below are the current ones."
        if refused := back_with(refusal if rotated else None, url_for(".index")):
            return refused
        if request.form.get("confirmed") != "1":
            return self.render(
                "portal/api_keys/rotate_confirm.html", key=key, form=form, grace=form.grace.data
            )
        created = attempt(api_keys.rotate, key, actor=signed_in_user(), grace=form.grace.data)
        return self._show_once(created)

    def _show_once(self, created):
        # The raw key is rendered in this response only (never stored or redirected; no answer
        # of the app is cached).
        if created is None:
            return redirect(url_for(".index"))
        return self.render("portal/api_keys/created.html", new=created)
