"""E-mails: each has a plain-text and an HTML body, rendered in the recipient's language."""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import current_app
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message

from lemontaps.extensions import mail
from lemontaps.models import User

log = logging.getLogger(__name__)


def external_url(endpoint: str, **values) -> str:
    """An absolute link from the configured BASE_URL, in any process: a web request (never
    its Host header), a worker's job or the CLI; no request context or SERVER_NAME needed."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def send_templated(user: User, subject: str, template: str, **context) -> None:
    message = Message(
        subject=subject,
        recipients=[user.email],
        body=render_template(f"email/{template}.txt", user=user, **context),
        html=render_template(f"email/{template}.html", user=user, **context),
    )
    mail.send(message)


def try_send(send: Callable[..., None], user: User, *args) -> bool:
    """Send a mail now; when the mail server is down or refuses it, log that and return False
    so the caller can tell the person in front of the screen instead of failing the request."""
    try:
        send(user, *args)
    # smtplib.SMTPException is an OSError; Flask-Mail raises UnicodeError for an address whose
    # local part is not ASCII (which the e-mail validator accepts).
    except (OSError, UnicodeError) as error:
        log.warning("%s to user %s could not be sent: %r", send.__name__, user.id, error)
        return False
    return True


def set_password_link(purpose: str, token: str) -> str:
    return external_url("auth.set_password", purpose=purpose, token=token)


def send_invitation(user: User, inviter: User, token: str) -> None:
    with force_locale(user.language):
        link = set_password_link("invite", token)
        send_templated(
            user,
            _("You are invited to Lemontaps"),
            "invitation",
            link=link,
            inviter=inviter,
        )


def send_password_reset(user: User, token: str) -> None:
    with force_locale(user.language):
        link = set_password_link("reset", token)
        send_templated(user, _("Reset your Lemontaps password"), "password_reset", link=link)


def send_push_summary_mail(push, still_waiting: int = 0) -> None:
    from lemontaps.pushes.summary import push_summary

    user = push.started_by
    with force_locale(user.language):
        summary = push_summary(push)
        link = external_url("contacts.list_contacts", push=push.id, state="failed")
        subject = _(
            "Salesforce push finished: %(exported)s exported, %(failed)s failed",
            exported=summary.counts["exported"],
            failed=summary.counts["failed"] + summary.counts["duplicate"],
        )
        send_templated(
            user,
            subject,
            "push_summary",
            summary=summary,
            push=push,
            failures_link=link,
            still_waiting=still_waiting,
        )


def send_reconnect_mail(user: User, connection) -> None:
    with force_locale(user.language):
        link = external_url("integrations.salesforce")
        send_templated(
            user,
            _("Salesforce needs to be reconnected"),
            "reconnect",
            connection=connection,
            link=link,
        )
