"""Every `/portal` view: organization A never reaches organization B's rows."""

import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Enrollment, Sync, SyncStage
from portal.services import audit, commit, tenancy
from tests.conftest import csrf_token, login, signup

MARKER = "Bravo-Secret-Practice"


def portal_views(app):
    (portal,) = [admin for admin in app.extensions["admin"] if admin.endpoint == "portal"]
    return [view for view in portal._views if isinstance(view, ModelView)]


VIEW_NAMES = [view.endpoint for view in portal_views(create_app("test"))]


@pytest.fixture
def orgs():
    """Two organizations, each with a row in every model a portal view lists."""
    alice = signup("Alpha Apps", "alice@alpha.example", "Alice")
    bob = signup("Bravo Apps", "bob@bravo.example", MARKER)
    for user in (alice, bob):
        enrollment = db.session.scalars(
            select(Enrollment).where(Enrollment.organization_id == user.organization_id)
        ).one()
        enrollment.institution.name = f"{user.name} Practice"
        db.session.add(
            Sync(
                institution=enrollment.institution,
                ehr="opendental",
                install_method="self_installer",
                status=SyncStage.INSTALLING,
                server_name=f"{user.name}-server",
            )
        )
        audit.record("test.event", actor=user, organization=user.organization, note=user.name)
    commit()
    return alice, bob


def row_of(view, user):
    query = select(view.model.id).where(tenancy.visible(view.model, user.organization))
    return db.session.scalar(query.order_by(view.model.id).limit(1))


@pytest.mark.parametrize("endpoint", VIEW_NAMES)
def test_a_portal_view_never_shows_another_organizations_rows(app, client, orgs, endpoint):
    alice, bob = orgs
    view = next(v for v in portal_views(app) if v.endpoint == endpoint)
    theirs, mine = row_of(view, bob), row_of(view, alice)
    assert theirs and mine, f"fixture gives both organizations a {view.model.__name__} row"
    login(client, "alice@alpha.example")
    base = view.url.rstrip("/")

    listing = client.get(f"{base}/")
    assert listing.status_code == 200 and MARKER not in listing.get_data(as_text=True)
    export = client.get(f"{base}/export/csv/")
    assert export.status_code == 200 and MARKER not in export.get_data(as_text=True)
    assert client.get(f"{base}/details/?id={mine}").status_code == 200

    for page in ("details", "edit"):
        response = client.get(f"{base}/{page}/?id={theirs}")
        assert response.status_code == 404 and MARKER not in response.get_data(as_text=True)

    token = csrf_token(client, f"{base}/")
    deleted = client.post(f"{base}/delete/", data={"csrf_token": token, "id": theirs})
    assert deleted.status_code == 404
    action = client.post(
        f"{base}/action/", data={"csrf_token": token, "action": "delete", "rowid": [mine, theirs]}
    )
    assert action.status_code == 404
    assert db.session.get(view.model, theirs) is not None
    assert db.session.get(view.model, mine) is not None


def test_the_ops_console_refuses_organization_users(client, orgs):
    login(client, "alice@alpha.example")
    assert client.get("/ops/enrollments/").status_code == 403
    assert client.get("/ops/enrollments/export/csv/").status_code == 403
