"""Password hashing (Argon2id) and one-time set-password tokens."""

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# A real hash of a random password: unknown e-mails cost the same time as wrong passwords.
_DUMMY_HASH_SOURCE = "lemontaps-timing-equaliser"


class PasswordService:
    def __init__(self, secret_key: str, time_cost: int, memory_cost: int, parallelism: int):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._serializer = URLSafeTimedSerializer(secret_key, salt="lemontaps-password-link")
        self._dummy_hash = self._hasher.hash(_DUMMY_HASH_SOURCE)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def make_link_token(self, user_id: int, purpose: str, password_hash: str | None) -> str:
        return self._serializer.dumps(
            {"u": user_id, "p": purpose, "f": _fingerprint(password_hash)}
        )

    def read_link_token(
        self, token: str, purpose: str, max_age: int, current_hash_of
    ) -> int | None:
        """The user id a link was made for, or None when it is forged, expired, for another use
        or already used (`current_hash_of(user_id)` gives the user's password hash now)."""
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or data.get("p") != purpose:
            return None
        user_id = data.get("u")
        if not isinstance(user_id, int):
            return None
        if data.get("f") != _fingerprint(current_hash_of(user_id)):
            return None
        return user_id


def _fingerprint(password_hash: str | None) -> str:
    # The link embeds a digest of the password hash at issue time: once the password is set,
    # the digest no longer matches, so every link works only once.
    return hashlib.sha256((password_hash or "unset").encode()).hexdigest()[:16]


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > MAX_PASSWORD_LENGTH:
        return "too_long"
    return None
