"""Input shapes of the Webhooks page and the hosted onboarding page. Rules live in services."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class EndpointForm(FlaskForm):
    target_url = StringField(
        "Target URL (HTTPS)",
        [DataRequired("Enter the URL that receives the webhooks."), Length(max=2000)],
    )


class SubscriptionForm(FlaskForm):
    event = SelectField("Event", [DataRequired("Choose an event.")], choices=[])
    institution = SelectField("Institution", choices=[], validate_choice=False)


class HostedSystemForm(FlaskForm):
    ehr = SelectField("Health record system", [DataRequired("Choose the system.")], choices=[])
    server_name = StringField(
        "Server name (for systems on your own server: the computer it runs on)", [Length(max=120)]
    )
