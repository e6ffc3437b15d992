import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pycountry
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

TEXT_MAX = 255
EMAIL_MAX = 254
PHONE_MAX = 40
POSTCODE_MAX = 20
WEBSITE_MAX = 2000
NOTES_MAX = 32_000
EARLIEST_MET_ON = date(2000, 1, 1)

PHONE_PATTERN = r"^[0-9 +()\-/.]*$"
# C0 control characters (PostgreSQL refuses NUL outright); tab and newlines stay in notes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$", re.S)


def clean_line(value):
    if value is None:
        return ""
    return _ONE_LINE_CONTROL.sub(" ", value).strip()


def clean_text(value):
    if value is None:
        return ""
    return _CONTROL.sub("", value).strip()


def normalise_website(value: str) -> str:
    """Add https:// when no scheme is given; other schemes are left for the validator."""
    value = (value or "").strip()
    if not value:
        return ""
    if value.startswith("//"):
        return "https:" + value
    match = _SCHEME.match(value)
    # "example.com:8080/x" has no scheme, "javascript:..." or "mailto:..." does.
    if match and not match.group(2)[:1].isdigit():
        return value
    return "https://" + value


def website_filter(value):
    return normalise_website(clean_line(value))


def check_website(form, field):
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(_l("Only http:// and https:// addresses are allowed."))
    host = parts.hostname or ""
    if not host or " " in field.data or "." not in host and host != "localhost":
        raise ValidationError(_l("This is not a valid web address."))


def check_met_on(form, field):
    if field.data is None:
        return
    latest = date.today() + timedelta(days=1)
    if not EARLIEST_MET_ON <= field.data <= latest:
        raise ValidationError(
            _l(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST_MET_ON.isoformat(),
                last=latest.isoformat(),
            )
        )


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


def _text(label, max_length=TEXT_MAX, **kwargs):
    return StringField(
        label, validators=[Optional(), Length(max=max_length)], filters=[clean_line], **kwargs
    )


def _email(label):
    return EmailField(
        label,
        validators=[Optional(), Length(max=EMAIL_MAX), Email(check_deliverability=False)],
        filters=[clean_line],
    )


def _phone(label):
    return TelField(
        label,
        validators=[
            Optional(),
            Length(max=PHONE_MAX),
            Regexp(PHONE_PATTERN, message=_l("Use digits, spaces and + ( ) - / . only.")),
        ],
        filters=[clean_line],
    )


class ContactForm(FlaskForm):
    name_prefix = _text(_l("Name prefix"))
    first_name = _text(_l("First name"))
    last_name = _text(_l("Last name"))
    position = _text(_l("Position"))
    role = _text(_l("Role"))
    department = _text(_l("Department"))
    company = _text(_l("Company"))
    email = _email(_l("E-mail"))
    work_email = _email(_l("Work e-mail"))
    work_phone = _phone(_l("Work phone"))
    mobile_phone = _phone(_l("Mobile phone"))
    website = URLField(
        _l("Website"),
        validators=[Optional(), Length(max=WEBSITE_MAX), check_website],
        filters=[website_filter],
    )
    addressee = _text(_l("Addressee"))
    address_line1 = _text(_l("Address line 1"))
    address_line2 = _text(_l("Address line 2"))
    postcode = _text(_l("Postcode"), POSTCODE_MAX)
    city = _text(_l("City"))
    country = _text(_l("Country"))
    language = SelectField(_l("Language"), choices=language_choices, default="")
    gdpr_consent = BooleanField(_l("GDPR consent given"))
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=NOTES_MAX)], filters=[clean_text]
    )
    met_on = DateField(
        _l("Met on"),
        validators=[InputRequired(message=_l("Enter the date you met.")), check_met_on],
        default=date.today,
    )
    # Admins only: the view removes the field for end users and fills the choices.
    met_by_id = SelectField(_l("Met by"), coerce=int, choices=[])
    submit = SubmitField(_l("Save contact"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        names = (self.first_name, self.last_name, self.company, self.email)
        if not any(field.data for field in names):
            self.first_name.errors = [
                *self.first_name.errors,
                _l("Enter at least a name, a company or an e-mail."),
            ]
            ok = False
        return ok

    def contact_data(self) -> dict:
        skip = {"csrf_token", "submit", "met_by_id"}
        return {name: field.data for name, field in self._fields.items() if name not in skip}


class EmptyForm(FlaskForm):
    """CSRF-only form for POST buttons."""

    submit = SubmitField()
