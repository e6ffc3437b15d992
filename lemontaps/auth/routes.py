from urllib.parse import urlsplit

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from lemontaps.auth import bp
from lemontaps.auth.forms import ForgotPasswordForm
from lemontaps.auth.forms import LoginForm
from lemontaps.auth.forms import SetPasswordForm
from lemontaps.extensions import db
from lemontaps.extensions import limiter
from lemontaps.notifications import email as mails
from lemontaps.services import users


def _passwords():
    return current_app.extensions["passwords"]


def _login_email_key() -> str:
    return "login-email:" + users.normalise_email(request.form.get("email", ""))


KNOWN_DEVICE_COOKIE = "lemontaps_known_device"
KNOWN_DEVICE_MAX_AGE = 90 * 24 * 3600


def _from_known_device() -> bool:
    """The browser logged in to the account it now logs in to before: failures of other
    people behind the same address (an office, a proxy) do not hold it back."""
    token = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not token:
        return False
    user = users.user_from_link(_passwords(), token, users.KNOWN_DEVICE, KNOWN_DEVICE_MAX_AGE)
    email = users.normalise_email(request.form.get("email", ""))
    return user is not None and user.email == email


def _remember_device(response, user):
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        users.link_token(_passwords(), user, users.KNOWN_DEVICE),
        max_age=KNOWN_DEVICE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path=url_for("auth.login"),
    )
    return response


def _login_failed(response) -> bool:
    # Only failed attempts count towards the limits; a successful login redirects.
    return request.method == "POST" and response.status_code != 302


def _safe_next(target: str | None) -> str:
    """Only local paths: `next` must never become an open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_EMAIL"],
    key_func=_login_email_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    methods=["POST"],
    deduct_when=_login_failed,
    exempt_when=_from_known_device,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(_passwords(), form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            return _remember_device(redirect(_safe_next(request.args.get("next"))), user)
        flash(_("E-mail or password is wrong."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    users.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = users.find_user_by_email(form.email.data)
        if user is not None and user.active:
            token = users.link_token(_passwords(), user, users.RESET)
            # A failure is logged only: telling the visitor would reveal that the address exists.
            mails.try_send(mails.send_password_reset, user, token)
        # The same answer whether or not the address exists or the mail left: no user enumeration.
        flash(_("If this address belongs to an account, a reset link is on its way."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/set-password/<purpose>/<token>", methods=["GET", "POST"])
def set_password(purpose: str, token: str):
    if purpose not in (users.INVITE, users.RESET):
        return render_template("auth/link_invalid.html"), 404
    max_age = current_app.config[
        "INVITE_MAX_AGE_SECONDS" if purpose == users.INVITE else "RESET_MAX_AGE_SECONDS"
    ]
    user = users.user_from_link(_passwords(), token, purpose, max_age)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        users.set_password(_passwords(), user, form.password.data)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(_("Your password is set. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, purpose=purpose)
