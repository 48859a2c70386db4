"""Upload CSV: the sample, the upload, the dry-run preview, apply, and the files it offers
(errors, product keys). The same pages serve staff importing on an organization's behalf."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from sqlalchemy import select

from portal import readable
from portal.admin_views import csv_exports
from portal.admin_views.base import OpsAccess, PortalAccess, signed_in_user
from portal.extensions import db
from portal.forms import UploadCsvForm
from portal.models import ImportBatch, ImportStatus, Organization
from portal.services import Conflict, PortalError
from portal.services.accounts.roles import Permission
from portal.services.imports import applying, csv_import, import_files, import_progress

PREVIEW_ROWS = 500
# A count of a plan's kind where adding an s is wrong ("2 new institutions" is right).
MANY = {
    csv_import.Kind.MATCH: "matches: request access",
    csv_import.Kind.EXISTING: "already onboarded",
    csv_import.Kind.REQUESTED: "access already requested",
}


def counted(kind: str, n: int) -> str:
    """A count of an import's rows of `kind` (a summary's key): "2 new institutions"."""
    return readable.plural(n, kind, MANY.get(kind))


class ImportPages:
    """The upload flow; subclasses say whose organization a batch belongs to."""

    def organization(self) -> Organization | None:  # pragma: no cover - overridden
        """Whose batch an upload makes; None means the user must choose first (ops)."""
        raise NotImplementedError

    def batch(self, batch_id: int) -> ImportBatch:  # pragma: no cover - overridden
        raise NotImplementedError

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = UploadCsvForm()
        organization = self.organization()
        if organization is None:
            return self.render("ops/import_choose.html", organizations=self.choices())
        if form.validate_on_submit():
            upload = form.file.data
            try:
                batch = csv_import.upload(
                    organization, upload.filename, upload.read(), actor=signed_in_user()
                )
            except PortalError as error:
                form.file.errors = [*form.file.errors, str(error)]
            else:
                return redirect(url_for(".preview", batch_id=batch.id))
        return self.render(
            "portal/imports/upload.html",
            form=form,
            organization=organization,
            columns=[(c, c in csv_import.REQUIRED) for c in csv_import.COLUMNS],
        )

    @expose("/sample.csv")
    def sample(self):
        return csv_exports.response(import_files.sample_rows(), "syncportal-sample.csv")

    @expose("/<int:batch_id>/")
    def preview(self, batch_id: int):
        batch = self.batch(batch_id)
        plan = csv_import.preview(batch)
        return self.render(
            "portal/imports/preview.html",
            batch=batch,
            plan=plan,
            rows=plan.rows[:PREVIEW_ROWS],
            kinds=csv_import.Kind,
            first_errors=plan.errors[:20],
        )

    @expose("/<int:batch_id>/errors.csv")
    def errors(self, batch_id: int):
        plan = csv_import.preview(self.batch(batch_id))
        rows = [["line", "column", "message"]] + [
            [e.line, e.column, e.message] for e in plan.errors
        ]
        return csv_exports.response(iter(rows), f"import-{batch_id}-errors.csv")

    @expose("/<int:batch_id>/apply", methods=["POST"])
    def apply(self, batch_id: int):
        batch = self.batch(batch_id)
        try:
            applying.queue_apply(batch, actor=signed_in_user())
        except Conflict as error:
            return render_template(
                "errors/error.html", code=409, title="Already imported", message=str(error)
            ), 409
        except PortalError as error:
            flash(str(error), "danger")
            return redirect(url_for(".preview", batch_id=batch.id))
        return redirect(url_for(".progress", batch_id=batch.id))

    @expose("/<int:batch_id>/progress")
    def progress(self, batch_id: int):
        state = import_progress.of(self.batch(batch_id))
        if state.finished:
            flash("Imported. Hand each practice's IT the product key of its sync.", "success")
            return redirect(url_for(".result", batch_id=batch_id))
        return self.render("portal/imports/progress.html", batch=self.batch(batch_id), state=state)

    @expose("/<int:batch_id>/progress.json")
    def progress_json(self, batch_id: int):
        state = import_progress.of(self.batch(batch_id))
        return jsonify(state.as_json(url_for(".progress", batch_id=batch_id)))

    @expose("/<int:batch_id>/result")
    def result(self, batch_id: int):
        batch = self.batch(batch_id)
        if batch.status is ImportStatus.APPLYING:
            return redirect(url_for(".progress", batch_id=batch.id))
        if batch.status is not ImportStatus.APPLIED:  # nothing of this file was imported
            flash(f"{batch.filename} was not imported: here is its preview.", "warning")
            return redirect(url_for(".preview", batch_id=batch.id))
        return self.render(
            "portal/imports/result.html",
            batch=batch,
            syncs=import_files.created_syncs(batch),
            counted=counted,
        )

    @expose("/<int:batch_id>/product-keys.csv")
    def product_keys(self, batch_id: int):
        rows = import_files.product_key_rows(self.batch(batch_id))
        return csv_exports.response(rows, f"import-{batch_id}-product-keys.csv")


class PortalImportsView(ImportPages, PortalAccess, BaseView):
    reads = writes = Permission.MANAGE_ONBOARDING

    def is_visible(self) -> bool:
        return False  # reached from the Institutions page

    def organization(self) -> Organization:
        return current_user.organization

    def batch(self, batch_id: int) -> ImportBatch:
        try:
            return csv_import.get_for(current_user.organization, batch_id)
        except PortalError:
            abort(404)


class OpsImportsView(ImportPages, OpsAccess, BaseView):
    """Staff import on behalf of the organization chosen by `?org=<slug>`."""

    def organization(self) -> Organization | None:
        slug = request.values.get("org")
        if not slug:
            return None
        organization = db.session.scalar(select(Organization).where(Organization.slug == slug))
        if organization is None:
            abort(404)
        return organization

    def choices(self) -> list[Organization]:
        return db.session.scalars(
            select(Organization)
            .where(Organization.production_enabled.is_(True))
            .order_by(Organization.name)
        ).all()

    def batch(self, batch_id: int) -> ImportBatch:
        batch = db.session.get(ImportBatch, batch_id)
        if batch is None:
            abort(404)
        return batch
