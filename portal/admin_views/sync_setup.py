"""Installing one sync from `/portal`: the printable install page, product key regeneration,
cloud credentials, install windows and retry. Only the organization that created a sync
sees these pages; they are reached from the institution page, not from the menu."""

from flask import abort, flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal.admin_views.base import PortalAccess, current_mode
from portal.models import Sync
from portal.onboarding_forms import CredentialsForm, WindowsForm
from portal.services import PortalError
from portal.services.onboarding import catalogue, installs, syncs


class SyncSetupView(PortalAccess, BaseView):
    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        return redirect(url_for("portal_syncs.index_view"))

    def _sync(self, sync_id: int) -> Sync:
        try:
            return installs.find_own_sync(current_user.organization, sync_id, current_mode())
        except PortalError:
            abort(404)

    def _back(self, sync: Sync):
        enrollment = syncs.enrollment_of(sync)
        return redirect(url_for("portal_institutions.institution", enrollment_id=enrollment.id))

    @expose("/<int:sync_id>/install/")
    def install_page(self, sync_id: int):
        sync = self._sync(sync_id)
        if sync.install_method.value != "self_installer":
            abort(404)
        return self.render(
            "portal/institutions/install_page.html",
            sync=sync,
            product_key=syncs.product_key(sync),
            system=catalogue.name_of(sync.ehr),
        )

    @expose("/<int:sync_id>/regenerate/", methods=["POST"])
    def regenerate(self, sync_id: int):
        sync = self._sync(sync_id)
        try:
            installs.regenerate_product_key(sync, actor=current_user)
            flash("New product key issued; the old one no longer works.", "success")
        except PortalError as error:
            flash(str(error), "danger")
        return self._back(sync)

    @expose("/<int:sync_id>/retry/", methods=["POST"])
    def retry(self, sync_id: int):
        sync = self._sync(sync_id)
        try:
            installs.retry_with_new_key(sync, actor=current_user)
            flash("Retrying with a new product key: run the installer with it.", "success")
        except PortalError as error:
            flash(str(error), "danger")
        return self._back(sync)

    @expose("/<int:sync_id>/credentials/", methods=["GET", "POST"])
    def credentials(self, sync_id: int):
        sync = self._sync(sync_id)
        form = CredentialsForm()
        if form.validate_on_submit():
            try:
                installs.submit_credentials(
                    sync,
                    url=form.url.data,
                    username=form.username.data,
                    password=form.password.data,
                    actor=current_user,
                )
            except PortalError as error:
                flash(str(error), "danger")
            else:
                flash("Credentials received: our engineers will install the sync.", "success")
                return self._back(sync)
        return self.render("portal/institutions/credentials.html", form=form, sync=sync)

    @expose("/<int:sync_id>/windows/", methods=["GET", "POST"])
    def windows(self, sync_id: int):
        sync = self._sync(sync_id)
        form = WindowsForm()
        if form.validate_on_submit():
            try:
                installs.propose_windows(
                    sync, starts=form.starts(), timezone=form.timezone.data, actor=current_user
                )
            except PortalError as error:
                flash(str(error), "danger")
            else:
                flash("Install windows sent: we will confirm one by email.", "success")
                return self._back(sync)
        return self.render("portal/institutions/windows.html", form=form, sync=sync)
