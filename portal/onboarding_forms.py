"""Input shapes of the onboarding pages (institutions and syncs). Rules live in services."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    URLField,
)
from wtforms.validators import Optional

from portal import catalogue
from portal.form_rules import at_most, required
from portal.services.onboarding import institutions
from portal.services.syncs import setup


class InstitutionForm(FlaskForm):
    name = StringField("Institution name", [required("the institution name"), at_most(200)])
    street_address = StringField("Street address", [required("the street address"), at_most(200)])
    street_address_2 = StringField("Address line 2 (optional)", [at_most(200)])
    city = StringField("City", [required("the city"), at_most(100)])
    state = SelectField(
        "State",
        choices={"": "Choose...", **{s: s for s in sorted(institutions.US_STATES)}},
    )
    zip_code = StringField("ZIP code", [required("the ZIP code"), at_most(10)])
    phone_number = StringField("Phone", [required("the phone number"), at_most(30)])
    email = EmailField("Email (optional)", [at_most(254)])
    website = StringField("Website (optional)", [at_most(300)])
    contact_name = StringField("Contact name (optional)", [at_most(200)])
    is_group = BooleanField("Multi-location group (enter the parent or corporate office)")

    def details(self) -> institutions.Details:
        return institutions.Details(
            **{name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        )


class SyncForm(FlaskForm):
    ehr = SelectField(
        "Health record system", choices={"": "Choose...", **dict(catalogue.choices())}
    )
    server_name = StringField("Server name (on-prem systems: one sync per server)", [at_most(120)])


class CredentialsForm(FlaskForm):
    url = URLField("System URL", [required("the system URL"), at_most(300)])
    username = StringField("Admin username", [required("the admin username"), at_most(200)])
    password = PasswordField("Admin password", [required("the admin password"), at_most(500)])


class WindowsForm(FlaskForm):
    window_1 = DateTimeLocalField(
        "First choice", [required("a first install window")], format="%Y-%m-%dT%H:%M"
    )
    window_2 = DateTimeLocalField("Second choice", [Optional()], format="%Y-%m-%dT%H:%M")
    window_3 = DateTimeLocalField("Third choice", [Optional()], format="%Y-%m-%dT%H:%M")
    timezone = SelectField("Practice time zone", choices=dict(setup.TIMEZONES))

    def starts(self):
        return [self.window_1.data, self.window_2.data, self.window_3.data]
