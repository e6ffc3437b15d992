"""Database models, one module per area. Importing this package registers every table.

Models never commit: the caller (view, API handler, job, CLI) owns the transaction.
"""

from lemontaps.models.accounts import Account, Role, User, utcnow
from lemontaps.models.api_tokens import ApiToken, IdempotencyRecord
from lemontaps.models.contacts import (
    Contact,
    ContactSource,
    contact_search_text,
    fold_for_search,
    new_contact_uuid,
)
from lemontaps.models.imports import ContactImport
from lemontaps.models.integration import (
    ConnectionStatus,
    ExportMode,
    IntegrationSettings,
    OAuthAttempt,
    OrgDescribe,
    PendingRevocation,
    PushPermission,
    SalesforceConnection,
    TargetObject,
)
from lemontaps.models.pushes import (
    PUSHABLE,
    SETTLED,
    UNSETTLED,
    ContactExport,
    EmailClaim,
    ExportState,
    Push,
    PushItem,
    PushKind,
    PushStatus,
)

__all__ = [
    "PUSHABLE",
    "SETTLED",
    "UNSETTLED",
    "Account",
    "ApiToken",
    "ConnectionStatus",
    "Contact",
    "ContactExport",
    "ContactImport",
    "ContactSource",
    "EmailClaim",
    "ExportMode",
    "ExportState",
    "IdempotencyRecord",
    "IntegrationSettings",
    "OAuthAttempt",
    "OrgDescribe",
    "PendingRevocation",
    "Push",
    "PushItem",
    "PushKind",
    "PushPermission",
    "PushStatus",
    "Role",
    "SalesforceConnection",
    "TargetObject",
    "User",
    "contact_search_text",
    "fold_for_search",
    "new_contact_uuid",
    "utcnow",
]
