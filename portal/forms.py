"""Input shapes only: required fields, formats and lengths. Rules live in services."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo

from portal.form_rules import (
    at_least,
    at_most,
    between,
    email_address,
    required,
    required_secret,
)
from portal.services.accounts import roles, users

PASSWORD_RULES = [required_secret("a password"), at_least(10), at_most(200)]


class SignupForm(FlaskForm):
    organization_name = StringField(
        "Organization name",
        [required("the organization name"), at_most(users.ORGANIZATION_NAME_MAX)],
    )
    name = StringField("Your name", [required("your name"), at_most(200)])
    email = EmailField("Work email", [required("the work email"), email_address(), at_most(254)])
    password = PasswordField("Password", PASSWORD_RULES)


class LoginForm(FlaskForm):
    # No format check: a sign-in only has to match an account.
    email = EmailField("Email", [required("your email"), at_most(254)])
    password = PasswordField("Password", [required_secret("your password"), at_most(200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", [required("the email"), email_address(), at_most(254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", PASSWORD_RULES)
    confirm = PasswordField("Repeat it", [EqualTo("password", message="The passwords differ.")])


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        [required("the code"), at_most(40)],
    )


class InviteForm(FlaskForm):
    email = EmailField("Email", [required("the email"), email_address(), at_most(254)])
    role = RadioField("Role", default="developer")  # a browser always sends the checked one

    @classmethod
    def for_actor(cls, actor) -> "InviteForm":
        """The form offering the roles `actor` may give, each with what it does."""
        form = cls()
        form.role.choices = [
            (role.value, f"{role.label}: {roles.DESCRIPTIONS[role]}")
            for role in roles.offered_by(actor)
        ]
        return form


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", [required("your name"), at_most(200)])
    password = PasswordField("Choose a password", PASSWORD_RULES)


class RotateKeyForm(FlaskForm):
    grace = SelectField(
        "The current key stops working",
        choices={"now": "Now", "1h": "In 1 hour", "24h": "In 24 hours"},
        default="now",
    )


class UpgradeForm(FlaskForm):
    legal_name = StringField(
        "Legal company name", [required("the legal company name"), at_most(200)]
    )
    billing_email = EmailField(
        "Billing email", [required("the billing email"), email_address(), at_most(254)]
    )
    expected_practices = IntegerField(
        "Practices you expect to onboard in the first year",
        [required("how many practices you expect"), between(1, 100_000)],
    )


class PracticeLoginForm(FlaskForm):
    email = EmailField(
        "Your practice's email address",
        [required("your practice's email address"), email_address(), at_most(254)],
    )


class UploadCsvForm(FlaskForm):
    file = FileField(
        "CSV file",
        [FileRequired("Choose a CSV file."), FileAllowed(["csv"], "Upload a .csv file.")],
    )
