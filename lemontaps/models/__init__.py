"""Database models, one module per area. Importing this package registers every table.

Models never commit: the caller (view, API handler, job, CLI) owns the transaction.
"""

from lemontaps.models.accounts import Account
from lemontaps.models.accounts import Role
from lemontaps.models.accounts import User
from lemontaps.models.accounts import utcnow
from lemontaps.models.api_tokens import ApiToken
from lemontaps.models.api_tokens import IdempotencyRecord
from lemontaps.models.contacts import Contact
from lemontaps.models.contacts import ContactSource
from lemontaps.models.contacts import contact_search_text
from lemontaps.models.contacts import fold_for_search
from lemontaps.models.contacts import new_contact_uuid
from lemontaps.models.imports import ContactImport
from lemontaps.models.integration import ConnectionStatus
from lemontaps.models.integration import ExportMode
from lemontaps.models.integration import IntegrationSettings
from lemontaps.models.integration import OAuthAttempt
from lemontaps.models.integration import OrgDescribe
from lemontaps.models.integration import PendingRevocation
from lemontaps.models.integration import PushPermission
from lemontaps.models.integration import SalesforceConnection
from lemontaps.models.integration import TargetObject
from lemontaps.models.pushes import PUSHABLE
from lemontaps.models.pushes import SETTLED
from lemontaps.models.pushes import UNSETTLED
from lemontaps.models.pushes import ContactExport
from lemontaps.models.pushes import EmailClaim
from lemontaps.models.pushes import ExportState
from lemontaps.models.pushes import Push
from lemontaps.models.pushes import PushItem
from lemontaps.models.pushes import PushKind
from lemontaps.models.pushes import PushStatus

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
