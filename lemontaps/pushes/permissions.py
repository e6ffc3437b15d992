"""Who may push: the one rule, used by the views, the jobs and the pages alike."""

from __future__ import annotations

from lemontaps.extensions import db
from lemontaps.models import IntegrationSettings
from lemontaps.models import PushPermission
from lemontaps.models import User


def may_push(user: User, settings: IntegrationSettings | None) -> bool:
    """Admins always; end users only when the account lets everyone push. Without saved
    settings the default (admins only) applies."""
    if not user.active:
        return False
    if user.is_admin:
        return True
    return settings is not None and settings.push_permission == PushPermission.EVERYONE.value


def user_may_push(user: User) -> bool:
    return may_push(user, db.session.get(IntegrationSettings, user.account_id))
