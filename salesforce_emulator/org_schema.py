"""One org's objects: the standard schemas plus the org's customisation (issue 6).

The customisation lives in the org's settings under ``customization`` (set through
``PUT /__emulator/orgs/<org>/customization`` or an org spec's ``settings``)::

    {"custom_fields": {"Lead": [{"name": "Lemontaps_Id__c", "type": "string", "length": 64,
                                 "externalId": true, "unique": true}]},
     "custom_objects": {"Movie__c": {"key_prefix": "a00", "label": "Movie",
                                     "fields": [{"name": "Rating__c", "type": "picklist",
                                                 "picklist": ["Excellent"],
                                                 "restrictedPicklist": true}]}},
     "picklist_additions": {"Lead": {"LeadSource": ["Lemontaps"]}},
     "state_country_picklists": false,
     "validation_rules": [...], "duplicate_rules": [...],       (see rules.py)
     "lead_assignment_rule": {"active": true, "owner_id": "00G..."},
     "trigger_failures": [{"object": "Lead", "operations": ["insert"], "message": "..."}],
     "duplicate_result_key": "duplicateResut"}

A custom field entry is a describe field: ``name`` and ``type`` plus any describe key
(``length``, ``label``, ``restrictedPicklist``, ``externalId``, ``unique``, ``nillable``...),
and the shortcuts ``picklist`` (values), ``required`` (= not nillable), ``reference_to``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from . import ids
from .schema import ObjectSchema
from .schema import canonical_object_name
from .schema import custom_field
from .schema import load_schema
from .schema.handwritten import custom_object

CUSTOMIZATION_KEY = "customization"
_SHORTCUTS = {
    "name",
    "type",
    "label",
    "length",
    "picklist",
    "required",
    "reference_to",
    "relationship_name",
}


def customization_of(org: dict[str, Any]) -> dict[str, Any]:
    return dict(org["settings"].get(CUSTOMIZATION_KEY) or {})


def field_from_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A describe field entry from the short JSON form used by the control API."""
    name = spec["name"]
    extra = {key: value for key, value in spec.items() if key not in _SHORTCUTS}
    if spec.get("required"):
        extra["nillable"] = False
    if spec.get("externalId"):
        extra.setdefault("idLookup", True)
    field_type = spec.get("type", "string")
    length = int(spec.get("length", 255 if field_type in ("string", "picklist") else 0))
    reference_to = spec.get("reference_to") or ()
    relationship = spec.get("relationship_name") or (name[:-3] + "__r" if reference_to else None)
    return custom_field(
        name,
        field_type,
        spec.get("label"),
        length,
        picklist=spec.get("picklist", ()),
        reference_to=reference_to,
        relationship_name=relationship,
        **extra,
    )


class OrgCatalog:
    """Schemas of one org's objects (standard + custom), built lazily and cached."""

    def __init__(self, customization: dict[str, Any]):
        self.customization = customization
        self._schemas: dict[str, ObjectSchema | None] = {}
        self._custom_objects = {
            name.lower(): (name, spec)
            for name, spec in (customization.get("custom_objects") or {}).items()
        }

    def canonical_name(self, name: str) -> str | None:
        standard = canonical_object_name(name)
        if standard:
            return standard
        custom = self._custom_objects.get(name.lower())
        return custom[0] if custom else None

    def schema(self, name: str) -> ObjectSchema | None:
        """The org's schema for ``name`` (any case), or None for an unknown object."""
        canonical = self.canonical_name(name)
        if canonical is None:
            return None
        if canonical not in self._schemas:
            self._schemas[canonical] = self._build(canonical)
        return self._schemas[canonical]

    def _build(self, name: str) -> ObjectSchema:
        custom = self.customization
        if name.lower() in self._custom_objects:
            _, spec = self._custom_objects[name.lower()]
            fields = [field_from_spec(f) for f in spec.get("fields", [])]
            prefix = spec.get("key_prefix") or ids.key_prefix_for(name)
            return ObjectSchema(custom_object(name, spec.get("label", name[:-3]), prefix, fields))
        specs = (custom.get("custom_fields") or {}).get(name, [])
        extra_fields = [field_from_spec(f) for f in specs]
        additions = (custom.get("picklist_additions") or {}).get(name)
        return load_schema(
            name,
            extra_fields,
            picklist_additions=additions,
            state_country_picklists=bool(custom.get("state_country_picklists")),
        )

    def object_for_id(self, record_id: str) -> str | None:
        prefix = record_id[:3]
        for name, spec in self._custom_objects.values():
            if (spec.get("key_prefix") or ids.key_prefix_for(name)) == prefix:
                return name
        return ids.sobject_for_id(record_id)

    def all_object_names(self) -> list[str]:
        from .schema import SUPPORTED_OBJECTS

        return list(SUPPORTED_OBJECTS) + [name for name, _ in self._custom_objects.values()]


@lru_cache(maxsize=64)
def _catalog_for(customization_json: str) -> OrgCatalog:
    return OrgCatalog(json.loads(customization_json))


def catalog_for(org: dict[str, Any]) -> OrgCatalog:
    """Cached per distinct customisation (describe JSON is large; orgs rarely change it)."""
    return _catalog_for(json.dumps(customization_of(org), sort_keys=True))
