"""Forms more than one blueprint uses."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


class EmptyForm(FlaskForm):
    """CSRF-only form for POST buttons."""

    submit = SubmitField()
