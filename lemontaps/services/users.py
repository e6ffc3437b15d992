"""Accounts and users: creation, invitations, roles, deactivation, passwords.

Functions take explicit arguments and never commit; the caller owns the transaction.
"""

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import Account
from lemontaps.models import Role
from lemontaps.models import User
from lemontaps.models import utcnow
from lemontaps.services.passwords import PasswordService

INVITE = "invite"
RESET = "reset"
# A browser that logged in to the account before (OWASP's "device cookie"); a password
# change ends it, like every other link token.
KNOWN_DEVICE = "device"


class UserRuleError(Exception):
    """A change refused by a rule of the product; `code` names the rule."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_account(
    passwords: PasswordService, name: str, admin_email: str, admin_name: str, password: str | None
) -> tuple[Account, User]:
    if find_user_by_email(admin_email):
        raise UserRuleError("email_taken")
    account = Account(name=name)
    admin = User(
        account=account,
        email=normalise_email(admin_email),
        name=admin_name,
        role=Role.ADMIN.value,
        password_hash=passwords.hash(password) if password else None,
    )
    db.session.add_all([account, admin])
    db.session.flush()
    return account, admin


def invite_user(account: Account, email: str, name: str, role: str) -> User:
    if find_user_by_email(email):
        raise UserRuleError("email_taken")
    user = User(account=account, email=normalise_email(email), name=name, role=Role(role).value)
    db.session.add(user)
    db.session.flush()
    return user


def account_users(account_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.account_id == account_id).order_by(User.email)
        )
    )


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.account_id == user.account_id,
            User.role == Role.ADMIN.value,
            User.active.is_(True),
            User.id != user.id,
        )
    )


def set_role(user: User, role: str) -> None:
    role = Role(role).value
    if user.is_admin and role != Role.ADMIN.value and user.active:
        if _other_active_admins(user) == 0:
            raise UserRuleError("last_admin")
    user.role = role


def deactivate(user: User) -> None:
    if user.is_admin and user.active and _other_active_admins(user) == 0:
        raise UserRuleError("last_admin")
    user.active = False
    end_sessions(user)


def reactivate(user: User) -> None:
    user.active = True


def end_sessions(user: User) -> None:
    user.session_version += 1


def set_password(passwords: PasswordService, user: User, password: str) -> None:
    user.password_hash = passwords.hash(password)
    end_sessions(user)


def authenticate(passwords: PasswordService, email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    # Verify even for unknown users so the answer takes the same time either way.
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def link_token(passwords: PasswordService, user: User, purpose: str) -> str:
    return passwords.make_link_token(user.id, purpose, user.password_hash)


def user_from_link(
    passwords: PasswordService, token: str, purpose: str, max_age: int
) -> User | None:
    def current_hash(user_id: int) -> str | None:
        user = db.session.get(User, user_id)
        return user.password_hash if user else "missing"

    user_id = passwords.read_link_token(token, purpose, max_age, current_hash)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None
