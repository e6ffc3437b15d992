"""E-mails: each has a plain-text and an HTML body, rendered in the recipient's language."""

from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Message

from lemontaps.extensions import mail
from lemontaps.models import User


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


def send_invitation(user: User, inviter: User, token: str) -> None:
    with force_locale(user.language):
        link = external_url("auth.set_password", purpose="invite", token=token)
        send_templated(
            user,
            _("You are invited to Lemontaps"),
            "invitation",
            link=link,
            inviter=inviter,
        )


def send_password_reset(user: User, token: str) -> None:
    with force_locale(user.language):
        link = external_url("auth.set_password", purpose="reset", token=token)
        send_templated(user, _("Reset your Lemontaps password"), "password_reset", link=link)


def send_push_summary_mail(push, still_waiting: int = 0) -> None:
    from lemontaps.exports.summary import push_summary

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
