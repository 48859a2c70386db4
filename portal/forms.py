"""Input shapes only: required fields, formats and lengths. Rules live in services."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

PASSWORD_RULES = [DataRequired(), Length(min=10, max=200, message="Use at least 10 characters.")]


class SignupForm(FlaskForm):
    organization_name = StringField("Organization name", [DataRequired(), Length(max=200)])
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
