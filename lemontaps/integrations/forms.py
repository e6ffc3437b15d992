from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional


class ConnectForm(FlaskForm):
    environment = RadioField(
        _l("Salesforce login"),
        choices=[
            SelectChoice("production", _l("Production (login.salesforce.com)")),
            SelectChoice("sandbox", _l("Sandbox (test.salesforce.com)")),
            SelectChoice("my_domain", _l("My Domain")),
        ],
        default="production",
        validators=[InputRequired()],
    )
    my_domain = StringField(
        _l("My Domain"),
        validators=[Optional(), Length(max=255)],
        description=_l("For example acme.my.salesforce.com (only for the My Domain choice)."),
    )
    submit = SubmitField(_l("Authorize Salesforce"))


class SettingsForm(FlaskForm):
    export_mode = RadioField(
        _l("Export"),
        choices=[
            SelectChoice("manual", _l("Manual: users pick the contacts to push.")),
            SelectChoice(
                "automatic",
                _l(
                    "Automatic: every new contact is pushed when it is saved; "
                    "existing contacts are not."
                ),
            ),
        ],
        validators=[InputRequired()],
    )
    target_object = RadioField(
        _l("Create in Salesforce as"),
        choices=[
            SelectChoice("Lead", _l("Lead: new prospects for your sales team to qualify.")),
            SelectChoice("Contact", _l("Contact: people you already do business with.")),
        ],
        validators=[InputRequired()],
    )
    push_permission = RadioField(
        _l("Who may push by hand"),
        choices=[
            SelectChoice("admins", _l("Admins only.")),
            SelectChoice("everyone", _l("Every user, for the contacts they met.")),
        ],
        validators=[InputRequired()],
    )
    api_usage_threshold_pct = IntegerField(
        _l("Pause pushes at this share of the org's daily API limit (%)"),
        validators=[InputRequired(), NumberRange(min=10, max=100)],
        description=_l("Other integrations share the limit; pushes wait and resume later."),
    )
    submit = SubmitField(_l("Save settings"))
