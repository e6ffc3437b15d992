"""Hand-written describes for the objects we have no recording of.

Field names, types and lengths follow Salesforce's object reference for
standard orgs; only the fields the product and its tests touch, plus the
system fields every object has. Lead and Contact come from recordings
instead (lead.json, contact.json).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .build_from_recordings import INSTANCE_URL_PLACEHOLDER
from .build_from_recordings import VERSION_PLACEHOLDER
from .fields import audit_fields
from .fields import id_field
from .fields import is_deleted_field
from .fields import make_field
from .fields import owner_field

_LEAD_OR_CONTACT = ["Contact", "Lead"]


def object_describe(
    name: str, label: str, label_plural: str, key_prefix: str, fields: list[dict], **flags: Any
) -> dict[str, Any]:
    """Object-level describe keys in the recorded order, with placeholder urls."""
    sobject_url = f"/services/data/v{VERSION_PLACEHOLDER}/sobjects/{name}"
    describe: dict[str, Any] = {
        "actionOverrides": [],
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "childRelationships": [],
        "compactLayoutable": True,
        "createable": True,
        "custom": False,
        "customSetting": False,
        "deepCloneable": False,
        "defaultImplementation": None,
        "deletable": True,
        "deprecatedAndHidden": False,
        "extendedBy": None,
        "extendsInterfaces": None,
        "feedEnabled": False,
        "fields": fields,
        "hasSubtypes": False,
        "implementedBy": None,
        "implementsInterfaces": None,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": key_prefix,
        "label": label,
        "labelPlural": label_plural,
        "layoutable": True,
        "listviewable": None,
        "lookupLayoutable": None,
        "mergeable": False,
        "mruEnabled": True,
        "name": name,
        "namedLayoutInfos": [],
        "networkScopeFieldName": None,
        "queryable": True,
        "recordTypeInfos": [],
        "replicateable": True,
        "retrieveable": True,
        "searchLayoutable": True,
        "searchable": True,
        "sobjectDescribeOption": "FULL",
        "supportedScopes": [{"label": "All " + label_plural.lower(), "name": "everything"}],
        "triggerable": True,
        "undeletable": True,
        "updateable": True,
        "urls": {
            "compactLayouts": f"{sobject_url}/describe/compactLayouts",
            "rowTemplate": f"{sobject_url}/{{ID}}",
            "uiDetailTemplate": f"{INSTANCE_URL_PLACEHOLDER}/{{ID}}",
            "uiEditTemplate": f"{INSTANCE_URL_PLACEHOLDER}/{{ID}}/e",
            "describe": f"{sobject_url}/describe",
            "uiNewRecord": f"{INSTANCE_URL_PLACEHOLDER}/{key_prefix}/e",
            "layouts": f"{sobject_url}/describe/layouts",
            "sobject": sobject_url,
        },
    }
    describe.update(flags)
    return describe


def child_relationship(child: str, field: str, relationship_name: str) -> dict[str, Any]:
    """A describe childRelationships entry (what SOQL child subqueries resolve through)."""
    return {
        "cascadeDelete": False,
        "childSObject": child,
        "deprecatedAndHidden": False,
        "field": field,
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": relationship_name,
        "restrictedDelete": False,
    }


def custom_object(name: str, label: str, key_prefix: str, fields: list[dict]) -> dict[str, Any]:
    """A per-org custom object (``Movie__c``): system fields, a text Name, then ``fields``.

    The Name is optional on create, as for real custom objects (Salesforce then stores the Id).
    """
    system = [
        id_field(),
        owner_field(("Group", "User")),
        is_deleted_field(),
        make_field("Name", "string", f"{label} Name", 80, nameField=True),
    ]
    plural = label + "s"
    return object_describe(
        name,
        label,
        plural,
        key_prefix,
        system + fields + audit_fields(),
        custom=True,
        mergeable=False,
    )


def _address_fields(prefix: str, label_prefix: str) -> list[dict]:
    return [
        make_field(
            f"{prefix}Street",
            "textarea",
            f"{label_prefix}Street",
            255,
            extraTypeInfo="plaintextarea",
            compoundFieldName=f"{prefix}Address",
        ),
        make_field(
            f"{prefix}City",
            "string",
            f"{label_prefix}City",
            40,
            compoundFieldName=f"{prefix}Address",
        ),
        make_field(
            f"{prefix}State",
            "string",
            f"{label_prefix}State/Province",
            80,
            compoundFieldName=f"{prefix}Address",
        ),
        make_field(
            f"{prefix}PostalCode",
            "string",
            f"{label_prefix}Zip/Postal Code",
            20,
            compoundFieldName=f"{prefix}Address",
        ),
        make_field(
            f"{prefix}Country",
            "string",
            f"{label_prefix}Country",
            80,
            compoundFieldName=f"{prefix}Address",
        ),
    ]


def account() -> dict:
    fields = [
        id_field(),
        is_deleted_field(),
        make_field(
            "MasterRecordId",
            "reference",
            "Master Record ID",
            18,
            reference_to=["Account"],
            relationship_name="MasterRecord",
            createable=False,
            updateable=False,
        ),
        make_field(
            "Name",
            "string",
            "Account Name",
            255,
            nillable=False,
            nameField=True,
            extraTypeInfo="switchablepersonname",
        ),
        make_field(
            "Type",
            "picklist",
            "Account Type",
            255,
            picklist=[
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ],
        ),
        make_field(
            "ParentId",
            "reference",
            "Parent Account ID",
            18,
            reference_to=["Account"],
            relationship_name="Parent",
        ),
        *_address_fields("Billing", "Billing "),
        *_address_fields("Shipping", "Shipping "),
        make_field("Phone", "phone", "Account Phone", 40),
        make_field("Fax", "phone", "Account Fax", 40),
        make_field("AccountNumber", "string", "Account Number", 40),
        make_field("Website", "url", "Website", 255),
        make_field(
            "Industry",
            "picklist",
            "Industry",
            255,
            picklist=[
                "Agriculture",
                "Banking",
                "Chemicals",
                "Communications",
                "Construction",
                "Consulting",
                "Education",
                "Electronics",
                "Energy",
                "Engineering",
                "Entertainment",
                "Finance",
                "Healthcare",
                "Technology",
                "Other",
            ],
        ),
        make_field("AnnualRevenue", "currency", "Annual Revenue", precision=18, scale=0),
        make_field("NumberOfEmployees", "int", "Employees", digits=8),
        make_field("Description", "textarea", "Account Description", 32000),
        owner_field(),
        *audit_fields(),
    ]
    return object_describe(
        "Account",
        "Account",
        "Accounts",
        "001",
        fields,
        mergeable=True,
        feedEnabled=True,
        childRelationships=[child_relationship("Contact", "AccountId", "Contacts")],
    )


def user() -> dict:
    fields = [
        id_field(),
        make_field(
            "Username", "string", "Username", 80, nillable=False, unique=True, idLookup=True
        ),
        make_field("LastName", "string", "Last Name", 80, nillable=False),
        make_field("FirstName", "string", "First Name", 40),
        make_field(
            "Name",
            "string",
            "Full Name",
            121,
            nillable=False,
            createable=False,
            updateable=False,
            nameField=True,
            extraTypeInfo="personname",
        ),
        make_field("CompanyName", "string", "Company Name", 80),
        make_field("Division", "string", "Division", 80),
        make_field("Department", "string", "Department", 80),
        make_field("Title", "string", "Title", 80),
        *_address_fields("", ""),
        make_field("Email", "email", "Email", 128, nillable=False),
        make_field("Phone", "phone", "Phone", 40),
        make_field("MobilePhone", "phone", "Mobile", 40),
        make_field("Alias", "string", "Alias", 8, nillable=False),
        make_field("CommunityNickname", "string", "Nickname", 40, nillable=False, unique=True),
        make_field("IsActive", "boolean", "Active", defaultValue=True),
        make_field(
            "TimeZoneSidKey",
            "picklist",
            "Time Zone",
            40,
            nillable=False,
            restrictedPicklist=True,
            picklist=[
                "Europe/Berlin",
                "Europe/London",
                "America/New_York",
                "America/Los_Angeles",
                "GMT",
            ],
        ),
        make_field(
            "UserRoleId",
            "reference",
            "Role ID",
            18,
            reference_to=["UserRole"],
            relationship_name="UserRole",
        ),
        make_field(
            "LocaleSidKey",
            "picklist",
            "Locale",
            40,
            nillable=False,
            restrictedPicklist=True,
            picklist=["de_DE", "en_GB", "en_US"],
        ),
        make_field(
            "EmailEncodingKey",
            "picklist",
            "Email Encoding",
            40,
            nillable=False,
            restrictedPicklist=True,
            picklist=["UTF-8", "ISO-8859-1"],
        ),
        make_field(
            "ProfileId",
            "reference",
            "Profile ID",
            18,
            reference_to=["Profile"],
            relationship_name="Profile",
            nillable=False,
        ),
        make_field(
            "UserType",
            "picklist",
            "User Type",
            40,
            createable=False,
            updateable=False,
            restrictedPicklist=True,
            picklist=[
                "Standard",
                "PowerPartner",
                "PowerCustomerSuccess",
                "CustomerSuccess",
                "Guest",
                "CspLitePortal",
                "CsnOnly",
                "SelfService",
            ],
        ),
        make_field(
            "LanguageLocaleKey",
            "picklist",
            "Language",
            40,
            nillable=False,
            restrictedPicklist=True,
            picklist=["de", "en_US"],
        ),
        make_field(
            "ManagerId",
            "reference",
            "Manager ID",
            18,
            reference_to=["User"],
            relationship_name="Manager",
        ),
        make_field("LastLoginDate", "datetime", "Last Login", createable=False, updateable=False),
        *audit_fields(),
    ]
    return object_describe(
        "User", "User", "Users", "005", fields, deletable=False, undeletable=False, feedEnabled=True
    )


def campaign() -> dict:
    fields = [
        id_field(),
        is_deleted_field(),
        make_field("Name", "string", "Name", 80, nillable=False, nameField=True),
        make_field(
            "ParentId",
            "reference",
            "Parent Campaign ID",
            18,
            reference_to=["Campaign"],
            relationship_name="Parent",
        ),
        make_field(
            "Type",
            "picklist",
            "Type",
            255,
            picklist=[
                "Advertisement",
                "Email",
                "Telemarketing",
                "Banner Ads",
                "Seminar / Conference",
                "Public Relations",
                "Partners",
                "Referral Program",
                "Other",
            ],
        ),
        make_field(
            "Status",
            "picklist",
            "Status",
            255,
            picklist=["Planned", "In Progress", "Completed", "Aborted"],
        ),
        make_field("StartDate", "date", "Start Date"),
        make_field("EndDate", "date", "End Date"),
        make_field("IsActive", "boolean", "Active"),
        make_field("Description", "textarea", "Description", 32000),
        make_field(
            "NumberOfLeads",
            "int",
            "Leads in Campaign",
            digits=9,
            createable=False,
            updateable=False,
            nillable=False,
            defaultedOnCreate=True,
        ),
        make_field(
            "NumberOfContacts",
            "int",
            "Contacts in Campaign",
            digits=9,
            createable=False,
            updateable=False,
            nillable=False,
            defaultedOnCreate=True,
        ),
        owner_field(),
        *audit_fields(),
    ]
    return object_describe("Campaign", "Campaign", "Campaigns", "701", fields)


def campaign_member() -> dict:
    read_only = dict(createable=False, updateable=False)
    fields = [
        id_field(),
        is_deleted_field(),
        make_field(
            "CampaignId",
            "reference",
            "Campaign ID",
            18,
            reference_to=["Campaign"],
            relationship_name="Campaign",
            nillable=False,
            updateable=False,
        ),
        make_field(
            "LeadId",
            "reference",
            "Lead ID",
            18,
            reference_to=["Lead"],
            relationship_name="Lead",
            updateable=False,
        ),
        make_field(
            "ContactId",
            "reference",
            "Contact ID",
            18,
            reference_to=["Contact"],
            relationship_name="Contact",
            updateable=False,
        ),
        make_field(
            "Status",
            "picklist",
            "Status",
            40,
            picklist=["Sent", "Responded"],
            default_picklist_value="Sent",
        ),
        make_field("HasResponded", "boolean", "Responded", **read_only),
        make_field("FirstRespondedDate", "date", "First Responded Date", **read_only),
        make_field(
            "LeadOrContactId",
            "reference",
            "Contact or Lead ID",
            18,
            reference_to=_LEAD_OR_CONTACT,
            relationship_name="LeadOrContact",
            **read_only,
        ),
        make_field(
            "LeadOrContactOwnerId",
            "reference",
            "Lead or Contact Owner ID",
            18,
            reference_to=["User"],
            relationship_name="LeadOrContactOwner",
            **read_only,
        ),
        make_field("FirstName", "string", "First Name", 40, **read_only),
        make_field("LastName", "string", "Last Name", 80, **read_only),
        make_field("Email", "email", "Email", 80, **read_only),
        make_field("Type", "string", "Type", 40, **read_only),
        *audit_fields(),
    ]
    return object_describe(
        "CampaignMember", "Campaign Member", "Campaign Members", "00v", fields, searchable=False
    )


def campaign_member_status() -> dict:
    fields = [
        id_field(),
        is_deleted_field(),
        make_field(
            "CampaignId",
            "reference",
            "Campaign ID",
            18,
            reference_to=["Campaign"],
            relationship_name="Campaign",
            nillable=False,
            updateable=False,
        ),
        make_field("Label", "string", "Member Status", 765, nillable=False),
        make_field("SortOrder", "int", "Sort Order", digits=9),
        make_field("IsDefault", "boolean", "Default"),
        make_field("HasResponded", "boolean", "Responded"),
        *audit_fields(),
    ]
    return object_describe(
        "CampaignMemberStatus",
        "Campaign Member Status",
        "Campaign Member Statuses",
        "01Y",
        fields,
        searchable=False,
        undeletable=False,
    )


def assignment_rule() -> dict:
    read_only = dict(createable=False, updateable=False)
    fields = [
        id_field(),
        make_field("Name", "string", "Name", 120, nillable=False, nameField=True, **read_only),
        make_field(
            "SobjectType",
            "picklist",
            "Sobject Type",
            40,
            picklist=["Case", "Lead"],
            restrictedPicklist=True,
            **read_only,
        ),
        make_field("Active", "boolean", "Active", **read_only),
        *audit_fields(),
    ]
    return object_describe(
        "AssignmentRule",
        "Assignment Rule",
        "Assignment Rules",
        "01Q",
        fields,
        createable=False,
        updateable=False,
        deletable=False,
        undeletable=False,
        searchable=False,
        layoutable=False,
    )


def task() -> dict:
    fields = [
        id_field(),
        make_field(
            "WhoId",
            "reference",
            "Name ID",
            18,
            reference_to=_LEAD_OR_CONTACT,
            relationship_name="Who",
        ),
        make_field(
            "WhatId",
            "reference",
            "Related To ID",
            18,
            reference_to=["Account", "Campaign"],
            relationship_name="What",
        ),
        make_field(
            "Subject",
            "combobox",
            "Subject",
            255,
            picklist=["Call", "Send Letter", "Send Quote", "Other"],
        ),
        make_field("ActivityDate", "date", "Due Date Only"),
        make_field(
            "Status",
            "picklist",
            "Status",
            255,
            nillable=False,
            picklist=[
                "Not Started",
                "In Progress",
                "Completed",
                "Waiting on someone else",
                "Deferred",
            ],
            default_picklist_value="Not Started",
        ),
        make_field(
            "Priority",
            "picklist",
            "Priority",
            40,
            nillable=False,
            picklist=["High", "Normal", "Low"],
            default_picklist_value="Normal",
        ),
        owner_field(),
        make_field("Description", "textarea", "Description", 32000),
        make_field("Type", "picklist", "Type", 40, picklist=["Call", "Email", "Meeting", "Other"]),
        make_field("IsClosed", "boolean", "Closed", createable=False, updateable=False),
        make_field(
            "TaskSubtype",
            "picklist",
            "Task Subtype",
            40,
            updateable=False,
            restrictedPicklist=True,
            picklist=["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"],
        ),
        *audit_fields(),
    ]
    return object_describe("Task", "Task", "Tasks", "00T", fields)


def content_version() -> dict:
    read_only = dict(createable=False, updateable=False)
    fields = [
        id_field(),
        make_field(
            "ContentDocumentId",
            "reference",
            "ContentDocument ID",
            18,
            reference_to=["ContentDocument"],
            relationship_name="ContentDocument",
            updateable=False,
        ),
        make_field("IsLatest", "boolean", "Is Latest", **read_only),
        make_field("Title", "string", "Title", 255, nillable=False, nameField=True),
        make_field("Description", "textarea", "Description", 1000),
        make_field("PathOnClient", "string", "Path On Client", 500, updateable=False),
        make_field("VersionData", "base64", "Version Data"),
        make_field("ContentSize", "int", "Size", digits=9, **read_only),
        make_field("FileType", "string", "File Type", 20, **read_only),
        make_field("FileExtension", "string", "File Extension", 40, **read_only),
        make_field(
            "FirstPublishLocationId",
            "reference",
            "First Publish Location ID",
            18,
            reference_to=["Account", "Contact", "Lead", "User"],
            relationship_name="FirstPublishLocation",
            updateable=False,
        ),
        owner_field(),
        *audit_fields(),
    ]
    return object_describe(
        "ContentVersion",
        "Content Version",
        "Content Versions",
        "068",
        fields,
        deletable=False,
        undeletable=False,
    )


HANDWRITTEN_OBJECTS: dict[str, Callable[[], dict]] = {
    "Account": account,
    "User": user,
    "Campaign": campaign,
    "CampaignMember": campaign_member,
    "CampaignMemberStatus": campaign_member_status,
    "AssignmentRule": assignment_rule,
    "Task": task,
    "ContentVersion": content_version,
}
