from datetime import date

import pycountry
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TelField
from wtforms import TextAreaField
from wtforms import URLField
from wtforms.validators import InputRequired
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from lemontaps.services import contact_validation as rules

# The limits and messages live in services/contact_validation.py, shared with the API and
# the CSV import; the form only adapts them to WTForms.


class SharedRule:
    """WTForms validator running the shared rule of one contact field."""

    def __init__(self, name: str):
        self.name = name
        self.field_flags = {"maxlength": rules.RULES[name].max_length}

    def __call__(self, form, field):
        messages = rules.field_errors(self.name, field.data or "")
        if messages:
            raise StopValidation(messages[0])


def _cleaner(name: str):
    return lambda value: rules.clean(name, value)


def check_met_on(form, field):
    if field.data is None:
        return
    messages = rules.met_on_errors(field.data)
    if messages:
        raise ValidationError(messages[0])


def language_choices():
    return [
        ("", _l("– not set –")),
        ("en", "English"),
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("it", "Italiano"),
        ("es", "Español"),
        ("nl", "Nederlands"),
        ("pl", "Polski"),
        ("pt", "Português"),
        ("da", "Dansk"),
        ("sv", "Svenska"),
        ("cs", "Čeština"),
        ("tr", "Türkçe"),
        ("ja", "日本語"),
        ("zh", "中文"),
    ]


def country_suggestions() -> list[str]:
    """Shown as a datalist: the field stays free text, the push engine maps names later."""
    return sorted(country.name for country in pycountry.countries)


def _text(name, label):
    return StringField(label, validators=[SharedRule(name)], filters=[_cleaner(name)])


def _email(name, label):
    return EmailField(label, validators=[SharedRule(name)], filters=[_cleaner(name)])


def _phone(name, label):
    return TelField(label, validators=[SharedRule(name)], filters=[_cleaner(name)])


class ContactForm(FlaskForm):
    name_prefix = _text("name_prefix", _l("Name prefix"))
    first_name = _text("first_name", _l("First name"))
    last_name = _text("last_name", _l("Last name"))
    position = _text("position", _l("Position"))
    role = _text("role", _l("Role"))
    department = _text("department", _l("Department"))
    company = _text("company", _l("Company"))
    email = _email("email", _l("E-mail"))
    work_email = _email("work_email", _l("Work e-mail"))
    work_phone = _phone("work_phone", _l("Work phone"))
    mobile_phone = _phone("mobile_phone", _l("Mobile phone"))
    website = URLField(
        _l("Website"), validators=[SharedRule("website")], filters=[_cleaner("website")]
    )
    addressee = _text("addressee", _l("Addressee"))
    address_line1 = _text("address_line1", _l("Address line 1"))
    address_line2 = _text("address_line2", _l("Address line 2"))
    postcode = _text("postcode", _l("Postcode"))
    city = _text("city", _l("City"))
    country = _text("country", _l("Country"))
    language = SelectField(_l("Language"), choices=language_choices, default="")
    gdpr_consent = BooleanField(_l("GDPR consent given"))
    notes = TextAreaField(
        _l("Notes"), validators=[SharedRule("notes")], filters=[_cleaner("notes")]
    )
    met_on = DateField(
        _l("Met on"),
        validators=[InputRequired(message=rules.message_met_on_required()), check_met_on],
        default=date.today,
    )
    # Admins only: the view removes the field for end users and fills the choices.
    met_by_id = SelectField(_l("Met by"), coerce=int, choices=[])
    submit = SubmitField(_l("Save contact"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not rules.has_identity({name: self[name].data for name in rules.IDENTITY_FIELDS}):
            self.first_name.errors = [*self.first_name.errors, rules.message_need_identity()]
            ok = False
        return ok

    def contact_data(self) -> dict:
        skip = {"csrf_token", "submit", "met_by_id"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}
