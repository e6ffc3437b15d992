from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import PasswordField
from wtforms import SelectField
from wtforms import StringField
from wtforms import SubmitField
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length

from lemontaps.auth.forms import new_password_fields
from lemontaps.models import Role


def role_choices():
    return [(Role.USER.value, _l("End user")), (Role.ADMIN.value, _l("Account admin"))]


def language_choices():
    return [("en", "English"), ("de", "Deutsch")]


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    name = StringField(_l("Name"), validators=[Length(max=255)])
    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Send invitation"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Change role"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=255)])
    language = SelectField(_l("Language"), choices=language_choices)
    submit = SubmitField(_l("Save"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password, password_confirm = new_password_fields()
    submit = SubmitField(_l("Change password"))
