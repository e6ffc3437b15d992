"""Per-user API tokens: issue (shown once), look up by hash, revoke. Callers commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import ApiToken
from lemontaps.models import User
from lemontaps.models import utcnow

TOKEN_PREFIX = "lt_"
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# Longest token we bother to hash: anything longer is not one of ours.
MAX_TOKEN_LENGTH = 128
# last_used_at is informative only: write it at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    # A plain SHA-256 is enough here, unlike for passwords: the token carries 256 bits from
    # secrets.token_urlsafe(32), so a leaked hash cannot be brute-forced, and a fast hash
    # lets every API request find its token by an indexed equality look-up.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[ApiToken, str]:
    """A new token for the user, replacing any previous one; returns (row, plain token)."""
    revoke_token(user)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, token_hash=hash_token(plain), prefix=plain[:SHOWN_PREFIX_LENGTH]
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_token(user: User) -> bool:
    result = db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.flush()
    return bool(result.rowcount)


def token_of(user: User) -> ApiToken | None:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))


def user_for_token(plain: str) -> User | None:
    """The active user owning this token, or None. Checked on every request, so a
    deactivated user's token stops working at once (the session_version plays no part)."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(plain))
    ).first()
    if row is None:
        return None
    token, user = row
    if not user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
    return user
