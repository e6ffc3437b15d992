import sqlalchemy as sa
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user

from lemontaps.accounts import bp
from lemontaps.accounts.forms import ChangePasswordForm
from lemontaps.accounts.forms import InviteForm
from lemontaps.accounts.forms import ProfileForm
from lemontaps.accounts.forms import RoleForm
from lemontaps.authz import admin_required
from lemontaps.extensions import db
from lemontaps.forms import EmptyForm
from lemontaps.models import User
from lemontaps.notifications import email as mails
from lemontaps.services import api_tokens
from lemontaps.services import users

RULE_MESSAGES = {
    "last_admin": lambda: _("The account needs at least one active admin."),
    "email_taken": lambda: _("A user with this e-mail already exists."),
}


def _passwords():
    return current_app.extensions["passwords"]


def _account_user_or_404(user_id: int) -> User:
    user = db.session.scalar(
        sa.select(User).where(User.id == user_id, User.account_id == current_user.account_id)
    )
    if user is None:
        abort(404)
    return user


def _render_users(invite_form=None, status=200, unsent_invite=None):
    return render_template(
        "accounts/users.html",
        users=users.account_users(current_user.account_id),
        invite_form=invite_form or InviteForm(),
        role_form_for=lambda u: RoleForm(role=u.role),
        action_form=EmptyForm(),
        unsent_invite=unsent_invite,
    ), status


def _send_invitation(user: User):
    """Mail the invitation; when the mail server fails, the invitation still stands and the
    inviting admin gets the link to pass on (rendered once, never kept in the session)."""
    token = users.link_token(_passwords(), user, users.INVITE)
    if mails.try_send(mails.send_invitation, user, current_user, token):
        flash(_("Invitation sent to %(email)s.", email=user.email), "success")
        return redirect(url_for("accounts.list_users"))
    return _render_users(unsent_invite=(user, mails.set_password_link(users.INVITE, token)))


@bp.route("/users")
@admin_required
def list_users():
    return _render_users()


@bp.route("/users/invite", methods=["POST"])
@admin_required
def invite_user():
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_users(form, 422)
    try:
        user = users.invite_user(
            current_user.account, form.email.data, form.name.data, form.role.data
        )
    except users.UserRuleError as error:
        form.email.errors.append(RULE_MESSAGES[error.code]())
        return _render_users(form, 422)
    db.session.commit()
    return _send_invitation(user)


@bp.route("/users/<int:user_id>/resend-invite", methods=["POST"])
@admin_required
def resend_invite(user_id: int):
    user = _account_user_or_404(user_id)
    if EmptyForm().validate_on_submit() and user.password_hash is None and user.active:
        return _send_invitation(user)
    return redirect(url_for("accounts.list_users"))


def _apply_rule(change, user: User, success_message: str):
    try:
        change(user)
    except users.UserRuleError as error:
        db.session.rollback()
        flash(RULE_MESSAGES[error.code](), "error")
        return _render_users(status=409)
    db.session.commit()
    flash(success_message, "success")
    return redirect(url_for("accounts.list_users"))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    user = _account_user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _render_users(status=422)
    return _apply_rule(
        lambda u: users.set_role(u, form.role.data),
        user,
        _("Role changed for %(email)s.", email=user.email),
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate_user(user_id: int):
    user = _account_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return _render_users(status=422)
    return _apply_rule(users.deactivate, user, _("%(email)s is deactivated.", email=user.email))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate_user(user_id: int):
    user = _account_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return _render_users(status=422)
    return _apply_rule(users.reactivate, user, _("%(email)s is active again.", email=user.email))


def _render_profile(profile_form=None, password_form=None, status=200, new_token=None):
    return render_template(
        "accounts/profile.html",
        profile_form=profile_form or ProfileForm(obj=current_user),
        password_form=password_form or ChangePasswordForm(),
        api_token=api_tokens.token_of(current_user),
        new_api_token=new_token,
    ), status


@bp.route("/profile")
@login_required
def profile():
    return _render_profile()


@bp.route("/profile", methods=["POST"])
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_profile(profile_form=form, status=422)
    current_user.name = form.name.data
    current_user.language = form.language.data
    db.session.commit()
    flash(_("Profile saved."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _render_profile(password_form=form, status=422)
    if not _passwords().verify(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append(_("This is not your current password."))
        return _render_profile(password_form=form, status=422)
    users.set_password(_passwords(), current_user, form.password.data)
    db.session.commit()
    # Other sessions ended with the version bump; this one continues under the new version.
    login_user(current_user._get_current_object())
    flash(_("Password changed. Your other sessions are logged out."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/profile/api-token", methods=["POST"])
@login_required
def generate_api_token():
    if not EmptyForm().validate_on_submit():
        return _render_profile(status=422)
    _row, plain = api_tokens.issue_token(current_user)
    db.session.commit()
    # Rendered, not redirected: the token is shown this once and never kept in the session.
    return _render_profile(new_token=plain)


@bp.route("/profile/api-token/revoke", methods=["POST"])
@login_required
def revoke_api_token():
    if not EmptyForm().validate_on_submit():
        return _render_profile(status=422)
    if api_tokens.revoke_token(current_user):
        flash(_("API token revoked: apps using it are logged out."), "success")
    db.session.commit()
    return redirect(url_for("accounts.profile"))
