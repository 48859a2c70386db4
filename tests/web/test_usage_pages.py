from portal.services.accounts import users
from tests.conftest import PASSWORD, login


def test_members_see_usage_and_a_bad_month_is_explained(client, org_admin):
    users.add_member(org_admin.organization, "m@alpha.example", "Mo", PASSWORD)
    login(client, "m@alpha.example")
    page = client.get("/portal/usage/?month=2026-11").get_data(as_text=True)
    assert "Billable locations now" in page and "November 2026" in page
    bad = client.get("/portal/usage/?month=nonsense")
    assert bad.status_code == 200 and "Months look like 2026-11." in bad.get_data(as_text=True)


def test_staff_download_the_monthly_usage_csv(client, org_admin):
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    response = client.get("/ops/usage/?download=1&month=2026-11")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("organization,slug,month,location_days")
    assert "usage-2026-11.csv" in response.headers["Content-Disposition"]


def test_organization_users_cannot_download_the_usage_export(client, org_admin):
    login(client, "alice@alpha.example")
    assert client.get("/ops/usage/?download=1").status_code == 403
