import io

import pytest

from portal import worker
from portal.services.accounts import users
from portal.services.imports import csv_import
from tests.admin.test_page_words import shown_text
from tests.conftest import PASSWORD, csrf_token, login
from tests.onboarding import upgraded
from tests.services.test_csv_import import row, to_csv


@pytest.fixture
def dev(client):
    user = upgraded("Alpha Apps", "a@alpha.example")
    login(client, "a@alpha.example")
    return user


def upload(client, content: bytes, path="/portal/imports/", **extra):
    data = {
        "csrf_token": csrf_token(client, path + ("?org=" + extra["org"] if extra else "")),
        "file": (io.BytesIO(content), "practices.csv"),
        **extra,
    }
    return client.post(path, data=data, content_type="multipart/form-data")


def test_the_sample_has_the_columns_and_a_practice_with_two_syncs(client, dev):
    sample = client.get("/portal/imports/sample.csv").get_data(as_text=True).splitlines()
    assert sample[0] == ",".join(csv_import.COLUMNS)
    assert sum("Hudson Family Dental" in line for line in sample) == 2


def test_upload_preview_apply_and_product_keys(client, dev):
    response = upload(client, to_csv([row(server="FRONT"), row(server="BACK")]))
    preview = response.headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert "new institution" in page and "additional sync" in page
    early = client.get(f"{preview}result")  # not imported yet: no result to claim
    assert early.status_code == 302 and early.headers["Location"].endswith(preview)
    said = client.get(early.headers["Location"]).get_data(as_text=True)
    assert "practices.csv was not imported" in said and "Imported:" not in said
    applied = client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    assert applied.headers["Location"].endswith("/progress")
    waiting = client.get(applied.headers["Location"]).get_data(as_text=True)
    assert "Waiting for a worker" in waiting
    assert client.get(f"{preview}result").headers["Location"].endswith("/progress")
    worker.run_until_idle()
    done = client.get(applied.headers["Location"])
    assert done.headers["Location"].endswith("/result")
    keys = client.get(f"{preview}product-keys.csv").get_data(as_text=True).splitlines()
    assert len(keys) == 3 and "FRONT" in keys[1]
    again = client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    assert again.status_code == 409


def test_the_upload_page_names_every_column_and_which_are_required(client, dev):
    page = client.get("/portal/imports/").get_data(as_text=True)
    listed = page.split('data-testid="csv-columns"')[1].split("</p>")[0]
    for column in csv_import.COLUMNS:
        assert f"<code>{column}</code>" in listed
    assert "<code>institution_name</code> (required)" in listed
    assert "<code>email</code> (required)" not in listed


def test_a_bad_file_is_explained_on_the_upload_page(client, dev):
    response = upload(client, "institution_name\nJosé\n".encode("latin-1"))
    assert response.status_code == 200 and "not UTF-8" in response.get_data(as_text=True)


def test_errors_are_listed_and_offered_as_csv(client, dev):
    preview = upload(client, to_csv([row(), row(state="ZZ")])).headers["Location"]
    page = client.get(preview).get_data(as_text=True)
    assert "line 3, column state" in page and "nothing will be imported" in page
    errors = client.get(f"{preview}errors.csv").get_data(as_text=True).splitlines()
    assert errors[0] == "line,column,message" and errors[1].startswith("3,state,")


def test_another_organizations_batch_is_not_found(client, dev):
    other = upgraded("Bravo Apps", "b@bravo.example")
    theirs = csv_import.upload(other.organization, "x.csv", to_csv([row()]), actor=other)
    assert client.get(f"/portal/imports/{theirs.id}/").status_code == 404
    assert client.get(f"/portal/imports/{theirs.id}/product-keys.csv").status_code == 404
    token = csrf_token(client, "/portal/imports/")
    assert (
        client.post(f"/portal/imports/{theirs.id}/apply", data={"csrf_token": token}).status_code
        == 404
    )


def test_staff_import_on_behalf_of_an_organization(client, dev):
    users.create_staff("s@ops.example", PASSWORD)
    login(client, "s@ops.example")
    assert "Alpha Apps" in client.get("/ops/import/").get_data(as_text=True)
    response = upload(client, to_csv([row()]), path="/ops/import/", org=dev.organization.slug)
    preview = response.headers["Location"]
    client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    worker.run_until_idle()
    assert "Hudson Dental" in client.get(f"{preview}result").get_data(as_text=True)


def test_the_cli_previews_and_applies(app, dev, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(to_csv([row(), row(server="BACK")]))
    runner = app.test_cli_runner()
    preview = runner.invoke(args=["import-institutions", "--org", dev.organization.slug, str(path)])
    assert "1  new institution" in preview.output and "1  additional sync" in preview.output
    applied = runner.invoke(
        args=["import-institutions", "--org", dev.organization.slug, str(path), "--apply"]
    )
    assert "0 syncs created" not in applied.output and applied.exit_code == 0, applied.output
    bad = runner.invoke(args=["import-institutions", "--org", "nope", str(path)])
    assert bad.exit_code == 1 and "No organization" in bad.output


def test_the_preview_and_the_result_name_systems_and_count_in_words(client, dev):
    rows = [row(), row(name="Elm Dental", ehr="athena", server=""), row(name="Oak Dental")]
    preview = upload(client, to_csv(rows)).headers["Location"]
    page = shown_text(client.get(preview).get_data(as_text=True))
    assert "Dentrix" in page and "athenahealth" in page
    assert "dentrix" not in page and " athena " not in page
    assert "Import 3 rows" in page and "(s)" not in page
    client.post(f"{preview}apply", data={"csrf_token": csrf_token(client, preview)})
    worker.run_until_idle()
    result = shown_text(client.get(f"{preview}result").get_data(as_text=True))
    assert "3 new institutions" in result and "Dentrix" in result


def test_a_single_error_is_counted_in_the_singular(client, dev):
    preview = upload(client, to_csv([row(), row(state="ZZ")])).headers["Location"]
    page = shown_text(client.get(preview).get_data(as_text=True))
    assert "1 error: nothing will be imported" in page
