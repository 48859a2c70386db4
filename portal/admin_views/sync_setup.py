"""Installing one sync from `/portal`: the printable install page, product key regeneration,
cloud credentials, install windows and retry. Only the organization that created a sync
sees these pages; they are reached from the institution page, not from the menu."""

from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from portal import catalogue
from portal.admin_views.base import (
    PortalAccess,
    attempt,
    back_with,
    current_mode,
    not_in_this_mode,
    signed_in_user,
)
from portal.models import InstallMethod, Sync
from portal.onboarding_forms import CredentialsForm, WindowsForm
from portal.services import PortalError
from portal.services.accounts.roles import Permission
from portal.services.syncs import keys, lifecycle, setup

REGENERATE_STOPS = (
    "The current product key stops working now: an installer or Synchronizer using it is "
    "refused, and the Synchronizer must be installed with the new key, shown on the "
    "institution page."
)


class SyncSetupView(PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_ONBOARDING  # the install page shows a product key

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        return redirect(url_for("portal_syncs.index_view"))

    def _sync(self, sync_id: int) -> Sync:
        try:
            return setup.find_own_sync(current_user.organization, sync_id, current_mode())
        except PortalError:
            mine = Sync.created_by_org_id == current_user.organization_id
            not_in_this_mode(self, Sync, sync_id, mine)

    def _back(self, sync: Sync):
        enrollment = lifecycle.enrollment_of(sync)
        return redirect(url_for("portal_institutions.institution", enrollment_id=enrollment.id))

    @expose("/<int:sync_id>/install/")
    def install_page(self, sync_id: int):
        sync = self._sync(sync_id)
        if sync.install_method is not InstallMethod.SELF_INSTALLER:
            abort(404)
        return self.render(
            "portal/institutions/install_page.html",
            sync=sync,
            product_key=keys.product_key(sync),
            system=catalogue.name_of(sync.ehr),
        )

    @expose("/<int:sync_id>/regenerate/", methods=["GET", "POST"])
    def regenerate(self, sync_id: int):
        """Asks first (the current key stops working), then issues a new key."""
        sync = self._sync(sync_id)
        if request.method == "POST":
            attempt(
                setup.regenerate_product_key,
                sync,
                actor=signed_in_user(),
                success="New product key issued; the old one no longer works.",
            )
            return self._back(sync)
        enrollment = lifecycle.enrollment_of(sync)
        page = url_for("portal_institutions.institution", enrollment_id=enrollment.id)
        if refused := back_with(lifecycle.refusal(sync, "regenerate_key"), page):
            return refused
        return self.render(
            "portal/confirm.html",
            question="Regenerate the product key?",
            subject=f"{enrollment.institution.name} · {catalogue.name_of(sync.ehr)} sync",
            stops=REGENERATE_STOPS,
            button="Regenerate the key",
            back=page,
            keep="Keep the current key",
        )

    @expose("/<int:sync_id>/retry/", methods=["POST"])
    def retry(self, sync_id: int):
        sync = self._sync(sync_id)
        attempt(
            setup.retry_with_new_key,
            sync,
            actor=signed_in_user(),
            success="Retrying with a new product key: run the installer with it.",
        )
        return self._back(sync)

    @expose("/<int:sync_id>/credentials/", methods=["GET", "POST"])
    def credentials(self, sync_id: int):
        sync = self._sync(sync_id)
        form = CredentialsForm()
        if form.validate_on_submit() and attempt(
            setup.submit_credentials,
            sync,
            url=form.url.data,
            username=form.username.data,
            password=form.password.data,
            actor=signed_in_user(),
            success="Credentials received: our engineers will install the sync.",
        ):
            return self._back(sync)
        return self.render("portal/institutions/credentials.html", form=form, sync=sync)

    @expose("/<int:sync_id>/windows/", methods=["GET", "POST"])
    def windows(self, sync_id: int):
        sync = self._sync(sync_id)
        form = WindowsForm()
        if form.validate_on_submit() and attempt(
            setup.propose_windows,
            sync,
            starts=form.starts(),
            timezone=form.timezone.data,
            actor=signed_in_user(),
            success="Install windows sent: we will confirm one by email.",
        ):
            return self._back(sync)
        return self.render("portal/institutions/windows.html", form=form, sync=sync)
