"""Input shapes only: required fields, formats and lengths. Rules live in services."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange

from portal.services.accounts import users

PASSWORD_RULES = [DataRequired(), Length(min=10, max=200, message="Use at least 10 characters.")]


class SignupForm(FlaskForm):
    organization_name = StringField(
        "Organization name", [DataRequired(), Length(max=users.ORGANIZATION_NAME_MAX)]
    )
    name = StringField("Your name", [DataRequired(), Length(max=200)])
    email = EmailField("Work email", [DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", PASSWORD_RULES)


class LoginForm(FlaskForm):
    # No format check: a sign-in only has to match an account.
    email = EmailField("Email", [DataRequired(), Length(max=254)])
    password = PasswordField("Password", [DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), Email(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", PASSWORD_RULES)
    confirm = PasswordField("Repeat it", [EqualTo("password", message="The passwords differ.")])


class InviteForm(FlaskForm):
    email = EmailField("Email", [DataRequired(), Email(), Length(max=254)])
    is_admin = BooleanField("Make them an admin (they can manage users and API keys)")


class AcceptInvitationForm(FlaskForm):
    name = StringField("Your name", [DataRequired(), Length(max=200)])
    password = PasswordField("Choose a password", PASSWORD_RULES)


class RotateKeyForm(FlaskForm):
    grace = SelectField(
        "The current key stops working",
        choices={"now": "Now", "1h": "In 1 hour", "24h": "In 24 hours"},
        default="now",
    )


class UpgradeForm(FlaskForm):
    legal_name = StringField("Legal company name", [DataRequired(), Length(max=200)])
    billing_email = EmailField("Billing email", [DataRequired(), Email(), Length(max=254)])
    expected_practices = IntegerField(
        "Practices you expect to onboard in the first year",
        [DataRequired(), NumberRange(min=1, max=100_000)],
    )


class PracticeLoginForm(FlaskForm):
    email = EmailField("Your practice's email address", [DataRequired(), Email(), Length(max=254)])


class UploadCsvForm(FlaskForm):
    file = FileField(
        "CSV file",
        [FileRequired("Choose a CSV file."), FileAllowed(["csv"], "Upload a .csv file.")],
    )
