"""Idempotency-Key, with Stripe's semantics, for the API's writes.

The same key with the same request replays the stored response; the same key with another
request is a 422; a request while the first is still running is a 409. Keys are per user and
live 24 hours. Successes (and 403/404, which a retry would get anyway) are stored in the same
transaction as the change itself, so a crash never leaves a contact without its record;
validation failures and errors free the key again, as at Stripe.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Response
from flask import g
from flask import make_response
from flask import request
from sqlalchemy.exc import IntegrityError

from lemontaps.api.responses import api_error
from lemontaps.extensions import db
from lemontaps.models import IdempotencyRecord
from lemontaps.models import utcnow

HEADER = "Idempotency-Key"
KEY_MAX = 255
LIFETIME = timedelta(hours=24)
# A record still "in flight" after this long belongs to a request that died: take it over.
LOCK_TIMEOUT = timedelta(seconds=60)


def _stored(status: int) -> bool:
    return 200 <= status < 300 or status in (403, 404)


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        data = canonical.encode()
    except ValueError:
        data = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + data).hexdigest()


def prune(now=None) -> int:
    cutoff = (now or utcnow()) - LIFETIME
    result = db.session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    return result.rowcount


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(
        record.response_body or "",
        status=record.response_status,
        mimetype="application/json" if record.response_body else None,
    )
    if record.response_location:
        response.headers["Location"] = record.response_location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(user_id: int, key: str, print_: str) -> IdempotencyRecord | Response:
    """Take the key for this request, or answer from (or about) the earlier one."""
    for _attempt in range(2):
        prune()
        record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_)
        db.session.add(record)
        try:
            db.session.commit()
            return record
        except IntegrityError:
            db.session.rollback()
        existing = db.session.scalar(
            sa.select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )
        if existing is None:
            continue  # expired and pruned by another request in between: try again
        if existing.fingerprint != print_:
            return api_error(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request.",
            )
        if existing.response_status is not None:
            return _replay(existing)
        now = utcnow()
        if existing.locked_at < now - LOCK_TIMEOUT:
            taken = db.session.execute(
                sa.update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == existing.id,
                    IdempotencyRecord.locked_at == existing.locked_at,
                    IdempotencyRecord.response_status.is_(None),
                )
                .values(locked_at=now)
            ).rowcount
            db.session.commit()
            if taken == 1:
                return existing
        return api_error(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still in progress. Retry later.",
        )
    return api_error(409, "idempotency_key_in_use", "Retry later.")


def _release(record_id: int) -> None:
    db.session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def after_commit(callback) -> None:
    """Run callback once the view's transaction is committed (e.g. contacts_created)."""
    g.setdefault("api_after_commit", []).append(callback)


def _run_after_commit() -> None:
    for callback in g.pop("api_after_commit", []):
        callback()


def write(view):
    """The API's write views: owns the transaction (commit on success, rollback otherwise)
    and honours Idempotency-Key."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        record_id = None
        if key is not None:
            key = key.strip()
            if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
                return api_error(
                    400, message=f"{HEADER} must be 1 to {KEY_MAX} printable ASCII characters."
                )
            print_ = fingerprint(request.method, request.path, request.get_data())
            claimed = _claim(g.api_user.id, key, print_)
            if isinstance(claimed, Response):
                return claimed
            record_id = claimed.id
        try:
            response = make_response(view(*args, **kwargs))
        except Exception:
            db.session.rollback()
            g.pop("api_after_commit", None)
            if record_id is not None:
                _release(record_id)
            raise
        status = response.status_code
        if status >= 400:
            db.session.rollback()
            g.pop("api_after_commit", None)
        if record_id is not None:
            if _stored(status):
                db.session.execute(
                    sa.update(IdempotencyRecord)
                    .where(IdempotencyRecord.id == record_id)
                    .values(
                        response_status=status,
                        response_body=response.get_data(as_text=True),
                        response_location=response.headers.get("Location"),
                    )
                )
            else:
                db.session.execute(
                    sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id)
                )
        db.session.commit()
        _run_after_commit()
        return response

    return wrapper
