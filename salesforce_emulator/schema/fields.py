"""Build describe field entries with the same keys as the recorded describes.

Hand-written objects and per-org custom fields go through ``make_field`` so
every field entry the emulator serves has the full set of keys a real
describe has (57 in the v59.0 recordings), with type-dependent values
(soapType, byteLength, digits, filterable...) filled the way Salesforce does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

# Defaults of a plain, optional, editable standard field (values as in the
# recorded describes).
_BASE_FIELD: dict[str, Any] = {
    "aggregatable": True,
    "aiPredictionField": False,
    "autoNumber": False,
    "byteLength": 0,
    "calculated": False,
    "calculatedFormula": None,
    "cascadeDelete": False,
    "caseSensitive": False,
    "compoundFieldName": None,
    "controllerName": None,
    "createable": True,
    "custom": False,
    "defaultValue": None,
    "defaultValueFormula": None,
    "defaultedOnCreate": False,
    "dependentPicklist": False,
    "deprecatedAndHidden": False,
    "digits": 0,
    "displayLocationInDecimal": False,
    "encrypted": False,
    "externalId": False,
    "extraTypeInfo": None,
    "filterable": True,
    "filteredLookupInfo": None,
    "formulaTreatNullNumberAsZero": False,
    "groupable": True,
    "highScaleNumber": False,
    "htmlFormatted": False,
    "idLookup": False,
    "inlineHelpText": None,
    "label": "",
    "length": 0,
    "mask": None,
    "maskType": None,
    "name": "",
    "nameField": False,
    "namePointing": False,
    "nillable": True,
    "permissionable": True,
    "picklistValues": [],
    "polymorphicForeignKey": False,
    "precision": 0,
    "queryByDistance": False,
    "referenceTargetField": None,
    "referenceTo": [],
    "relationshipName": None,
    "relationshipOrder": None,
    "restrictedDelete": False,
    "restrictedPicklist": False,
    "scale": 0,
    "searchPrefilterable": False,
    "soapType": "xsd:string",
    "sortable": True,
    "type": "string",
    "unique": False,
    "updateable": True,
    "writeRequiresMasterRead": False,
}

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "base64": "xsd:base64Binary",
    "address": "urn:address",
}
# Types whose length is in characters and whose byteLength is 3 bytes per char.
_TEXT_TYPES = {
    "string",
    "email",
    "phone",
    "url",
    "textarea",
    "picklist",
    "multipicklist",
    "combobox",
    "encryptedstring",
    "id",
    "reference",
}


def make_field(
    name: str,
    field_type: str,
    label: str | None = None,
    length: int = 0,
    *,
    reference_to: Sequence[str] = (),
    relationship_name: str | None = None,
    picklist: Iterable[str] = (),
    default_picklist_value: str | None = None,
    precision: int = 0,
    scale: int = 0,
    digits: int = 0,
    **overrides: Any,
) -> dict[str, Any]:
    """One describe field entry; ``overrides`` set any describe key directly."""
    field = dict(_BASE_FIELD)
    field.update(
        name=name,
        label=label or name,
        type=field_type,
        length=length,
        byteLength=length * 3 if field_type in _TEXT_TYPES else 0,
        soapType=_SOAP_TYPES.get(field_type, "xsd:string"),
        precision=precision,
        scale=scale,
        digits=digits,
        referenceTo=list(reference_to),
        relationshipName=relationship_name,
        picklistValues=picklist_entries(picklist, default_picklist_value),
        custom=name.endswith("__c"),
    )
    if field_type in ("textarea",) and length > 255:
        field.update(filterable=False, groupable=False, sortable=False)
    if field_type in ("double", "currency", "percent", "int"):
        field["groupable"] = field_type == "int"
    if field_type == "boolean":
        field.update(nillable=False, defaultedOnCreate=True, defaultValue=False, aggregatable=False)
    if field_type == "base64":
        field.update(filterable=False, groupable=False, sortable=False, aggregatable=False)
    if len(reference_to) > 1:
        field["polymorphicForeignKey"] = True
    if default_picklist_value is not None:
        field["defaultedOnCreate"] = True
    field.update(overrides)
    return field


def picklist_entries(values: Iterable[str], default: str | None = None) -> list[dict]:
    return [
        {
            "active": True,
            "defaultValue": value == default,
            "label": value,
            "validFor": None,
            "value": value,
        }
        for value in values
    ]


def labelled_picklist_entries(pairs: Iterable[tuple[str, str]]) -> list[dict]:
    """Picklist entries whose label differs from the value (country code → name)."""
    return [
        {"active": True, "defaultValue": False, "label": label, "validFor": None, "value": value}
        for value, label in pairs
    ]


def valid_for_bitmap(controller_indexes: Iterable[int], controller_count: int) -> str:
    """Salesforce's ``validFor``: base64 bitmap, bit i (MSB first) = controller value i."""
    bitmap = bytearray((controller_count + 7) // 8)
    for index in controller_indexes:
        bitmap[index // 8] |= 0x80 >> (index % 8)
    return base64.b64encode(bytes(bitmap)).decode("ascii")


def id_field() -> dict[str, Any]:
    return make_field(
        "Id",
        "id",
        "Record ID",
        18,
        nillable=False,
        createable=False,
        updateable=False,
        defaultedOnCreate=True,
        idLookup=True,
    )


def audit_fields(label_prefix: str = "") -> list[dict[str, Any]]:
    """CreatedDate/CreatedById/LastModified*/SystemModstamp, read-only as in Salesforce."""
    read_only = dict(nillable=False, createable=False, updateable=False, defaultedOnCreate=True)
    return [
        make_field("CreatedDate", "datetime", "Created Date", **read_only),
        make_field(
            "CreatedById",
            "reference",
            "Created By ID",
            18,
            reference_to=["User"],
            relationship_name="CreatedBy",
            **read_only,
        ),
        make_field("LastModifiedDate", "datetime", "Last Modified Date", **read_only),
        make_field(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            18,
            reference_to=["User"],
            relationship_name="LastModifiedBy",
            **read_only,
        ),
        make_field("SystemModstamp", "datetime", "System Modstamp", **read_only),
    ]


def is_deleted_field() -> dict[str, Any]:
    return make_field("IsDeleted", "boolean", "Deleted", createable=False, updateable=False)


def owner_field(reference_to: Sequence[str] = ("User",)) -> dict[str, Any]:
    return make_field(
        "OwnerId",
        "reference",
        "Owner ID",
        18,
        reference_to=reference_to,
        relationship_name="Owner",
        nillable=False,
        defaultedOnCreate=True,
    )
