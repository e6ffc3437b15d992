"""The product's own error pages; JSON for the API, a small partial for htmx requests."""

from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from lemontaps.api.responses import api_error
from lemontaps.extensions import db
from lemontaps.htmx import render_page_or_partial

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to do this."),
    404: lambda: _("This page does not exist, or you cannot see it."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The upload is too large."),
    429: lambda: _("Too many attempts. Please wait 15 minutes and try again."),
    500: lambda: _("Something went wrong on our side. Please try again."),
}


def error_response(status: int, message: str | None = None):
    if status == 500:
        db.session.rollback()  # a failed statement leaves the session unusable for the page
    message = message or MESSAGES.get(status, MESSAGES[500])()
    if request.path.startswith("/api/"):
        # The API's error codes are words, as in its own error bodies.
        return api_error(status, message=message)
    response = render_page_or_partial(
        "errors/partial.html", "errors/page.html", status=status, message=message
    )
    response.status_code = status
    return response


def register(app) -> None:
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, s=status: error_response(s))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, _("The form expired. Please reload the page and try again."))
