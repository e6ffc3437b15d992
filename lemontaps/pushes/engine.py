"""The push engine: one batch (at most 200 contacts) of a push, from checks to created records.

API budget per batch: one Composite call for every look-up (Leads and Contacts by e-mail, the
capturers' Salesforce users, and reconciliation after a lost answer), one sObject Collections
call for the creates; more only for owner fallbacks and duplicate-rule details. Describe data
comes from the cache filled at connect time.

Exactly once: a create is preceded by committing `sent_at`; after a lost answer the next round
looks for a record created by the integration user since then (or with our external id) and
adopts it instead of creating a second one. Without the external id a record is adopted only if
every field we sent matches it, no other contact holds it, and no other contact of the round
wants it too; a doubt fails the contact with the candidates named, never a guess."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import quote as url_quote

import sqlalchemy as sa

from lemontaps.extensions import db
from lemontaps.models import UNSETTLED
from lemontaps.models import ConnectionStatus
from lemontaps.models import Contact
from lemontaps.models import ContactExport
from lemontaps.models import EmailClaim
from lemontaps.models import ExportState
from lemontaps.models import IntegrationSettings
from lemontaps.models import OrgDescribe
from lemontaps.models import Push
from lemontaps.models import PushItem
from lemontaps.models import SalesforceConnection
from lemontaps.models import utcnow
from lemontaps.pushes import states
from lemontaps.salesforce import soql
from lemontaps.salesforce.client import SalesforceClient
from lemontaps.salesforce.errors import ApiDisabled
from lemontaps.salesforce.errors import RequestLimitExceeded
from lemontaps.salesforce.errors import SalesforceError
from lemontaps.salesforce.errors import TokenError
from lemontaps.salesforce.errors import TransientError
from lemontaps.services.mapping import MAPPED_FIELDS
from lemontaps.services.mapping import MappedRecord
from lemontaps.services.mapping import MappingFailure
from lemontaps.services.mapping import email_key
from lemontaps.services.mapping import map_contact
from lemontaps.services.salesforce_connect import EXTERNAL_ID_FIELD
from lemontaps.services.salesforce_connect import SalesforceSetup
from lemontaps.services.salesforce_connect import connection_for
from lemontaps.services.salesforce_connect import describe_summary
from lemontaps.services.salesforce_session import NeedsReconnect
from lemontaps.services.salesforce_session import client_for

MAX_ROUNDS = 4
IN_LIST_MAX_URL_CHARS = 9000
QUERIES_PER_COMPOSITE = 5
CLOCK_SKEW = timedelta(minutes=5)
OWNER_ERRORS = {"INACTIVE_OWNER_OR_USER"}
TRANSIENT_RECORD_ERRORS = {"UNABLE_TO_LOCK_ROW"}


@dataclass
class EngineOptions:
    sleep: Callable[[float], None] = time.sleep
    backoff_seconds: tuple[float, ...] = (1.0, 4.0, 10.0)
    rng: random.Random = field(default_factory=random.Random)

    def pause(self, round_no: int) -> None:
        base = self.backoff_seconds[min(round_no, len(self.backoff_seconds) - 1)]
        self.sleep(base * (0.5 + self.rng.random()))  # jitter: workers do not retry in step


@dataclass
class Pending:
    item: PushItem
    contact: Contact
    record: MappedRecord

    @property
    def email_key(self) -> str:
        return email_key(self.contact.email)


class StopBatch(Exception):
    """The rest of the batch waits (API limit, reconnect) or fails as a whole."""

    def __init__(self, state: ExportState, reason_code: str, detail: str | None = None):
        super().__init__(reason_code)
        self.state, self.reason_code, self.detail = state, reason_code, detail


def run_batch(
    setup: SalesforceSetup, push_id: int, item_ids: list[int], options: EngineOptions | None = None
) -> None:
    """Push the queued items among `item_ids`. Commits as it goes."""
    options = options or EngineOptions()
    push = db.session.get(Push, push_id)
    if push is None:
        return
    claimed = claim_items(push_id, item_ids)
    db.session.commit()  # claimed: no other job takes these items now
    if not claimed:
        return
    items = db.session.scalars(
        sa.select(PushItem).where(PushItem.id.in_(claimed)).order_by(PushItem.id)
    ).all()
    connection = connection_for(push.account_id)
    problem = _connection_problem(push, connection)
    if problem:
        _settle_all(items, ExportState.WAITING, problem)
        db.session.commit()
        return
    push.org_id = push.org_id or connection.org_id
    push.status = "running"
    live = _start_items(items)
    db.session.commit()  # the UI shows "pushing"
    if live:
        _Batch(setup, push, connection, live, options).run()


def claim_items(push_id: int, item_ids: list[int]) -> list[int]:
    """Atomically move queued items to "pushing" for this job. Two jobs given overlapping
    batches (a re-enqueue, a sweeper) never both take an item."""
    result = db.session.execute(
        sa.update(PushItem)
        .where(
            PushItem.id.in_(item_ids),
            PushItem.push_id == push_id,
            PushItem.state == ExportState.QUEUED.value,
        )
        .values(state=ExportState.PUSHING.value, attempts=PushItem.attempts + 1)
        .returning(PushItem.id)
    )
    return sorted(result.scalars().all())


def _connection_problem(push: Push, connection: SalesforceConnection | None) -> str | None:
    if connection is None:
        return "not_connected"
    if connection.status != ConnectionStatus.CONNECTED.value:
        return "needs_reconnect"
    if push.org_id and push.org_id != connection.org_id:
        return "org_changed"
    return None


def _start_items(items: list[PushItem]) -> list[tuple[PushItem, Contact]]:
    contact_ids = [i.contact_id for i in items if i.contact_id is not None]
    contacts = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Contact)
            .where(Contact.id.in_(contact_ids))
            .options(sa.orm.selectinload(Contact.met_by))
        )
    }
    live = []
    for item in items:
        contact = contacts.get(item.contact_id)
        if contact is None:
            states.settle(item, ExportState.SKIPPED, "deleted_before_export")
            continue
        states.set_current(contact.id, item.account_id, item)
        live.append((item, contact))
    return live


def _settle_all(items, state: ExportState, reason: str, detail: str | None = None) -> None:
    for item in items:
        states.settle(item, state, reason, detail)


def contact_values(contact: Contact) -> dict:
    return {name: getattr(contact, name) for name in MAPPED_FIELDS}


@dataclass
class Lookups:
    leads: dict[str, dict] = field(default_factory=dict)
    contacts: dict[str, dict] = field(default_factory=dict)
    users: dict[str, list[dict]] = field(default_factory=dict)
    recent: list[dict] = field(default_factory=list)
    # Every record of the target object per e-mail (leads/contacts keep the oldest only).
    by_email: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Reconciled:
    """After a lost answer: the record to adopt, or (record None) the doubtful candidates."""

    record: dict | None
    candidates: list[dict] = field(default_factory=list)


class _Batch:
    def __init__(self, setup, push, connection, live, options):
        self.setup = setup
        self.push = push
        self.connection = connection
        self.live = live
        self.options = options
        self.target = push.target_object
        settings = db.session.get(IntegrationSettings, push.account_id)
        self.threshold = (settings.api_usage_threshold_pct if settings else 90) / 100
        self.external_id = (
            connection.lead_external_id if self.target == "Lead" else connection.contact_external_id
        )
        self.client: SalesforceClient | None = None

    # -- the whole batch ------------------------------------------------------------------

    def run(self) -> None:
        pending: list[Pending] = []
        try:
            self.client = client_for(self.setup, self.connection)
            describe = self._describe()
            pending = self._prepare(describe)
            db.session.commit()
            for round_no in range(MAX_ROUNDS):
                if not pending:
                    break
                try:
                    self._check_budget()
                    lookups = self._lookup(pending)
                    pending = self._classify(pending, lookups)
                    self._check_budget()
                    pending = self._create(pending, lookups)
                except TransientError:
                    db.session.rollback()
                    pending = self._still_pending(pending)
                except RequestLimitExceeded as error:
                    if not error.concurrency:
                        raise StopBatch(ExportState.WAITING, "api_limit") from None
                    db.session.rollback()
                    pending = self._still_pending(pending)
                db.session.commit()
                if pending and round_no + 1 < MAX_ROUNDS:
                    self.options.pause(round_no)
            if pending:
                _settle_all(
                    [p.item for p in pending], ExportState.WAITING, "salesforce_unavailable"
                )
        except StopBatch as stop:
            self._settle_rest(stop.state, stop.reason_code, stop.detail)
        except NeedsReconnect:
            self._settle_rest(ExportState.WAITING, "needs_reconnect")
        except TokenError as error:
            # invalid_client and the like: the operator must fix the configuration.
            self._settle_rest(ExportState.WAITING, "integration_error", error.message)
        except SalesforceError as error:
            self._settle_rest(
                ExportState.FAILED, error.error_code or "salesforce_refused", error.message
            )
        finally:
            self._note_usage()
            states.finish_if_settled(self.push)
            db.session.commit()

    def _settle_rest(self, state: ExportState, reason: str, detail: str | None = None) -> None:
        db.session.rollback()
        unsettled = [s.value for s in UNSETTLED]
        _settle_all([i for i, _c in self.live if i.state in unsettled], state, reason, detail)

    def _still_pending(self, pending: list[Pending]) -> list[Pending]:
        for p in pending:
            db.session.refresh(p.item)
        return [p for p in pending if p.item.state == ExportState.PUSHING]

    def _http(self, call, *args, **kwargs):
        """Every Salesforce call happens outside a database transaction: what is recorded so
        far is committed, and no lock is held while we wait (SQLite locks the whole file)."""
        db.session.commit()
        return call(*args, **kwargs)

    def _check_budget(self) -> None:
        usage = self.client.last_usage if self.client else None
        if usage and usage.fraction >= self.threshold:
            raise StopBatch(ExportState.WAITING, "api_limit")

    def _note_usage(self) -> None:
        usage = self.client.last_usage if self.client else None
        if usage:
            db.session.execute(
                sa.update(SalesforceConnection)
                .where(SalesforceConnection.id == self.connection.id)
                .values(api_used=usage.used, api_limit=usage.limit, api_checked_at=utcnow())
            )

    # -- before any create ----------------------------------------------------------------

    def _describe(self) -> dict:
        cached = db.session.scalar(
            sa.select(OrgDescribe).where(
                OrgDescribe.account_id == self.push.account_id,
                OrgDescribe.org_id == self.connection.org_id,
                OrgDescribe.sobject == self.target,
            )
        )
        if cached is not None:
            return cached.fields
        fields = describe_summary(self._http(self.client.describe, self.target))
        db.session.add(
            OrgDescribe(
                account_id=self.push.account_id,
                org_id=self.connection.org_id,
                sobject=self.target,
                fields=fields,
            )
        )
        return fields

    def _prepare(self, describe: dict) -> list[Pending]:
        pending, first_by_email = [], {}
        for item, contact in self.live:
            mapped = map_contact(contact_values(contact), self.target, describe)
            if isinstance(mapped, MappingFailure):
                states.settle(
                    item,
                    ExportState.FAILED,
                    mapped.code,
                    details={"field": mapped.field, "limit": mapped.limit, "length": mapped.length},
                )
                continue
            entry = Pending(item, contact, mapped)
            key = entry.email_key
            if key and key in first_by_email:
                first = first_by_email[key]
                states.settle(
                    item,
                    ExportState.DUPLICATE,
                    "duplicate_in_push",
                    details={
                        "duplicate_of_contact": first.contact.id,
                        "duplicate_of_item": first.item.id,
                    },
                )
                continue
            if key:
                first_by_email[key] = entry
            pending.append(entry)
        return self._claim(pending)

    def _claim(self, pending: list[Pending]) -> list[Pending]:
        """Claim each e-mail for this account; a claim held by another live push waits."""
        claimed = []
        for entry in pending:
            key = entry.email_key
            if not key:
                claimed.append(entry)
                continue
            holder = db.session.get(EmailClaim, (self.push.account_id, key))
            if holder is not None and holder.item_id != entry.item.id:
                other = db.session.get(PushItem, holder.item_id)
                if other is not None and other.state in [s.value for s in UNSETTLED]:
                    states.settle(entry.item, ExportState.WAITING, "email_in_flight")
                    continue
                db.session.delete(holder)
                db.session.flush()
            if holder is None or holder.item_id != entry.item.id:
                try:
                    with db.session.begin_nested():
                        db.session.add(
                            EmailClaim(
                                account_id=self.push.account_id,
                                email_key=key,
                                item_id=entry.item.id,
                            )
                        )
                except sa.exc.IntegrityError:
                    states.settle(entry.item, ExportState.WAITING, "email_in_flight")
                    continue
            claimed.append(entry)
        return claimed

    # -- look-ups (one Composite call) ----------------------------------------------------

    def _lookup(self, pending: list[Pending]) -> Lookups:
        queries = self._lookup_queries(pending)
        lookups = Lookups()
        for start in range(0, len(queries), QUERIES_PER_COMPOSITE):
            group = queries[start : start + QUERIES_PER_COMPOSITE]
            response = self._http(
                self.client.composite,
                [
                    {
                        "method": "GET",
                        "referenceId": ref,
                        "url": f"{self.client.data_path}/query/?q={url_quote(query)}",
                    }
                    for ref, query in group
                ],
            )
            for sub in response.get("compositeResponse", []):
                self._absorb(lookups, sub)
        return lookups

    def _absorb(self, lookups: Lookups, sub: dict) -> None:
        status = sub.get("httpStatusCode", 500)
        body = sub.get("body")
        if status >= 400:
            error = body[0] if isinstance(body, list) and body else {}
            code = error.get("errorCode")
            if status >= 500 or code in TRANSIENT_RECORD_ERRORS:
                raise TransientError(error.get("message", "look-up failed"), status=status)
            raise SalesforceError(
                error.get("message", "look-up failed"), status=status, error_code=code
            )
        records = list(body.get("records", []))
        while not body.get("done", True) and body.get("nextRecordsUrl"):
            body = self._http(self.client.json, "GET", body["nextRecordsUrl"])
            records.extend(body.get("records", []))
        kind = sub["referenceId"].split("_")[0]
        for record in records:
            if kind == "user":
                email = _user_email_key(record.get("Email") or "")
                lookups.users.setdefault(email, []).append(record)
            elif kind == "recent":
                lookups.recent.append(record)
            else:
                key = (record.get("Email") or "").lower()
                target = lookups.leads if kind == "lead" else lookups.contacts
                target.setdefault(key, record)
                if kind == self.target.lower():
                    lookups.by_email.setdefault(key, []).append(record)

    def _lookup_queries(self, pending: list[Pending]) -> list[tuple[str, str]]:
        queries = []
        emails = sorted({p.email_key for p in pending if p.email_key})
        base = ["Id", "Email", "Name", "CreatedById", "CreatedDate"]
        if self.external_id:
            base.append(EXTERNAL_ID_FIELD)
        # After a lost answer the target's records come with every field we sent: adoption
        # compares them all.
        resent = [p for p in pending if p.item.sent_at and p.email_key]
        fields = {
            "Lead": ", ".join(_field_list(base, resent if self.target == "Lead" else [])),
            "Contact": ", ".join(_field_list(base, resent if self.target == "Contact" else [])),
        }
        for n, chunk in enumerate(_in_chunks(emails)):
            in_list = soql.quote_list(chunk)
            queries.append(
                (
                    f"lead_{n}",
                    f"SELECT {fields['Lead']} FROM Lead WHERE IsConverted = false "
                    f"AND Email IN {in_list} ORDER BY CreatedDate",
                )
            )
            queries.append(
                (
                    f"contact_{n}",
                    f"SELECT {fields['Contact']} FROM Contact WHERE Email IN {in_list} "
                    "ORDER BY CreatedDate",
                )
            )
        capturers = sorted({p.contact.met_by.email.lower() for p in pending})
        with_sandbox = sorted(set(capturers) | {f"{e}.invalid" for e in capturers})
        for n, chunk in enumerate(_in_chunks(with_sandbox)):
            queries.append(
                (
                    f"user_{n}",
                    "SELECT Id, Email, Username, Name, CreatedDate FROM User "
                    "WHERE IsActive = true AND UserType = 'Standard' AND "
                    f"Email IN {soql.quote_list(chunk)}",
                )
            )
        resent = [p for p in pending if p.item.sent_at and not p.email_key]
        if resent:
            since = (
                (min(p.item.sent_at for p in resent) - CLOCK_SKEW)
                .replace(tzinfo=UTC)
                .strftime("%Y-%m-%dT%H:%M:%SZ")
            )
            record_fields = ", ".join(_field_list(["Id", "CreatedById", "CreatedDate"], resent))
            queries.append(
                (
                    "recent_0",
                    f"SELECT {record_fields} FROM {self.target} WHERE "
                    f"Email = null AND CreatedById = "
                    f"{soql.quote(self.connection.sf_user_id)} AND "
                    f"CreatedDate >= {since}",
                )
            )
        return queries

    # -- duplicates, adoption, owners -----------------------------------------------------

    def _classify(self, pending: list[Pending], lookups: Lookups) -> list[Pending]:
        reconciled = self._reconcile(pending, lookups)
        remaining = []
        for entry in pending:
            found = reconciled.get(entry.item.id)
            if found is not None and found.record is not None:
                self._exported(entry, found.record["Id"], self._owner(entry, lookups), adopted=True)
                continue
            if found is not None:
                states.settle(
                    entry.item,
                    ExportState.FAILED,
                    "ambiguous_match",
                    org_id=self.connection.org_id,
                    details={
                        **(entry.item.details or {}),
                        "candidate_object": self.target,
                        "candidates": found.candidates,
                    },
                )
                continue
            key = entry.email_key
            match_contact = lookups.contacts.get(key) if key else None
            match_lead = lookups.leads.get(key) if key else None
            if match_contact or match_lead:
                # A match on both names the Contact.
                kind, match, reason = (
                    ("Contact", match_contact, "duplicate_contact")
                    if match_contact
                    else ("Lead", match_lead, "duplicate_lead")
                )
                states.settle(
                    entry.item,
                    ExportState.DUPLICATE,
                    reason,
                    sf_object=kind,
                    sf_id=match["Id"],
                    org_id=self.connection.org_id,
                )
                continue
            remaining.append(entry)
        return remaining

    def _reconcile(self, pending: list[Pending], lookups: Lookups) -> dict[int, Reconciled]:
        """For each contact whose create may have landed: the record we created for it, or
        the candidates that leave it in doubt. No entry: nothing of ours found."""
        decided: dict[int, Reconciled] = {}
        wanted: dict[int, tuple[Pending, list[dict]]] = {}
        for entry in pending:
            if entry.item.sent_at is None:
                continue
            key = entry.email_key
            records = lookups.by_email.get(key, []) if key else lookups.recent
            by_external_id = [
                r
                for r in records
                if self.external_id and r.get(EXTERNAL_ID_FIELD) == entry.contact.uuid
            ]
            if by_external_id:
                decided[entry.item.id] = Reconciled(by_external_id[0])
                continue
            candidates = [r for r in records if self._could_be_ours(entry, r)]
            if candidates:
                wanted[entry.item.id] = (entry, candidates)
        linked = self._linked_contacts({r["Id"] for _e, rs in wanted.values() for r in rs})

        def free_for(entry: Pending, records: list[dict]) -> list[dict]:
            return [r for r in records if not linked.get(r["Id"], set()) - {entry.contact.id}]

        free = {item_id: free_for(entry, rs) for item_id, (entry, rs) in wanted.items()}
        demand = Counter(r["Id"] for records in free.values() for r in records)
        taken = {found.record["Id"] for found in decided.values() if found.record}
        for item_id, (entry, records) in wanted.items():
            mine = [r for r in free[item_id] if r["Id"] not in taken]
            if len(mine) == 1 and demand[mine[0]["Id"]] == 1:
                decided[item_id] = Reconciled(mine[0])
            elif entry.email_key and not mine:
                continue  # the e-mail's record is another contact's: a duplicate, said so
            else:
                others = {r["Id"]: linked.get(r["Id"], set()) - {entry.contact.id} for r in records}
                decided[item_id] = Reconciled(
                    None,
                    [
                        {"id": sf_id, "contact": min((c for c in ids if c), default=None)}
                        for sf_id, ids in others.items()
                    ],
                )
        return decided

    def _could_be_ours(self, entry: Pending, record: dict) -> bool:
        if record.get("CreatedById") not in (None, self.connection.sf_user_id):
            return False
        created = _parse_sf_datetime(record.get("CreatedDate"))
        if created is None or created < entry.item.sent_at - CLOCK_SKEW:
            return False
        return _same_record(record, entry.record.fields)

    def _linked_contacts(self, record_ids: set[str]) -> dict[str, set[int | None]]:
        """Record id -> the contacts (None: deleted) it was exported for in this account."""
        if not record_ids:
            return {}
        ids = sorted(record_ids)
        rows = db.session.execute(
            sa.select(PushItem.sf_id, PushItem.contact_id).where(
                PushItem.account_id == self.push.account_id,
                PushItem.state == ExportState.EXPORTED.value,
                PushItem.sf_id.in_(ids),
            )
        ).all()
        rows += db.session.execute(
            sa.select(ContactExport.sf_id, ContactExport.contact_id).where(
                ContactExport.account_id == self.push.account_id,
                ContactExport.sf_id.in_(ids),
            )
        ).all()
        linked: dict[str, set[int | None]] = {}
        for sf_id, contact_id in rows:
            linked.setdefault(sf_id, set()).add(contact_id)
        return linked

    def _owner(self, entry: Pending, lookups: Lookups) -> tuple[str, str, str]:
        """(owner id, owner name, why): the capturer's Salesforce user, else the fallback."""
        capturer = entry.contact.met_by.email.lower()
        users = lookups.users.get(capturer, [])
        if users:
            exact = [
                u
                for u in users
                if (u.get("Username") or "").lower() in (capturer, f"{capturer}.invalid")
            ]
            chosen = (
                exact[0] if exact else sorted(users, key=lambda u: u.get("CreatedDate") or "")[0]
            )
            return chosen["Id"], chosen.get("Name") or "", "matched_user"
        return (self.connection.sf_user_id, self.connection.sf_user_name or "", "fallback")

    # -- creates (one sObject Collections call) -------------------------------------------

    def _create(self, pending: list[Pending], lookups: Lookups) -> list[Pending]:
        owners = {p.item.id: self._owner(p, lookups) for p in pending}
        results = self._send(pending, {p.item.id: owners[p.item.id][0] for p in pending})
        retry_owner, transient = [], []
        for entry, result in zip(pending, results, strict=True):
            outcome = self._record_result(entry, result, owners[entry.item.id])
            if outcome == "owner":
                retry_owner.append(entry)
            elif outcome == "transient":
                transient.append(entry)
        if retry_owner:
            fallback = (
                self.connection.sf_user_id,
                self.connection.sf_user_name or "",
                "fallback_refused",
            )
            results = self._send(retry_owner, {p.item.id: fallback[0] for p in retry_owner})
            for entry, result in zip(retry_owner, results, strict=True):
                refused = owners[entry.item.id]
                entry.item.details = {
                    **(entry.item.details or {}),
                    "refused_owner": refused[1] or refused[0],
                }
                if self._record_result(entry, result, fallback) == "transient":
                    transient.append(entry)
        return transient

    def _send(self, pending: list[Pending], owner_ids: dict[int, str]) -> list[dict]:
        now = utcnow()
        for entry in pending:
            # Committed by _http before the request leaves: a retry after a lost answer
            # knows to look for the record first.
            entry.item.sent_at = entry.item.sent_at or now
        records = []
        for entry in pending:
            record = {
                "attributes": {"type": self.target},
                **entry.record.fields,
                "OwnerId": owner_ids[entry.item.id],
            }
            if self.external_id:
                record[EXTERNAL_ID_FIELD] = entry.contact.uuid
            records.append(record)
        headers = {"Sforce-Duplicate-Rule-Header": "allowSave=true"}
        if self.target == "Lead":
            headers["Sforce-Auto-Assign"] = "FALSE"  # an assignment rule must not move owners
        if self.external_id:
            return self._http(
                self.client.upsert_collection,
                self.target,
                EXTERNAL_ID_FIELD,
                records,
                headers=headers,
            )
        return self._http(self.client.create_collection, records, headers=headers)

    def _record_result(self, entry: Pending, result: dict, owner: tuple[str, str, str]) -> str:
        if result.get("success"):
            self._exported(entry, result["id"], owner)
            return "done"
        errors = result.get("errors") or [{}]
        code = errors[0].get("statusCode") or errors[0].get("errorCode")
        message = errors[0].get("message")
        if code in TRANSIENT_RECORD_ERRORS:
            return "transient"
        refuses_owner = code in OWNER_ERRORS or "OwnerId" in (errors[0].get("fields") or [])
        if refuses_owner and owner[2] == "matched_user":
            return "owner"
        if code == "DUPLICATES_DETECTED":
            self._duplicate_by_rule(entry, errors[0])
            return "done"
        states.settle(
            entry.item,
            ExportState.FAILED,
            code or "salesforce_refused",
            message,
            details={**(entry.item.details or {}), "fields": errors[0].get("fields") or []},
        )
        return "done"

    def _duplicate_by_rule(self, entry: Pending, error: dict) -> None:
        match_ids = _matched_ids(error)
        if not match_ids:
            match_ids = self._matched_ids_by_single_create(entry)
        states.settle(
            entry.item,
            ExportState.DUPLICATE,
            "duplicate_rule",
            error.get("message"),
            sf_object=self.target if match_ids else None,
            sf_id=match_ids[0] if match_ids else None,
            org_id=self.connection.org_id,
        )

    def _matched_ids_by_single_create(self, entry: Pending) -> list[str]:
        # Collections results carry no match details; a single create does (it is refused
        # again by the same Block rule, so nothing is created).
        record = dict(entry.record.fields)
        try:
            self._http(
                self.client.json,
                "POST",
                f"{self.client.data_path}/sobjects/{self.target}/",
                json=record,
            )
        except SalesforceError as error:
            content = error.content
            if isinstance(content, list) and content:
                return _matched_ids(content[0])
        return []

    def _exported(
        self, entry: Pending, sf_id: str, owner: tuple[str, str, str], adopted: bool = False
    ) -> None:
        details = dict(entry.item.details or {})
        if entry.record.shortened:
            details["shortened"] = entry.record.shortened
        if entry.record.notes:
            details["notes"] = entry.record.notes
        if adopted:
            details["adopted"] = True
        states.settle(
            entry.item,
            ExportState.EXPORTED,
            None,
            None,
            sf_object=self.target,
            sf_id=sf_id,
            org_id=self.connection.org_id,
            owner_id=owner[0],
            owner_name=owner[1],
            owner_reason=owner[2],
            details=details,
        )


def _in_chunks(values: list[str]) -> list[list[str]]:
    return soql.chunks_within(values, IN_LIST_MAX_URL_CHARS) if values else []


def _user_email_key(email: str) -> str:
    email = email.lower()
    return email[: -len(".invalid")] if email.endswith(".invalid") else email


def _parse_sf_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _field_list(base: list[str], entries: list[Pending]) -> list[str]:
    sent = sorted({name for entry in entries for name in entry.record.fields} - set(base))
    return [*base, *sent]


def _stored(name: str, value) -> str:
    """A value as Salesforce keeps it: empty is null, line ends are CRLF-blind, e-mails and
    ISO codes (uppercased by Salesforce) compare case-blind."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").strip()
    if name == "Email" or name.endswith("Code"):
        text = text.casefold()
    return text


def _same_record(record: dict, fields: dict) -> bool:
    """Every field we sent has the value we sent (fields Salesforce fills itself, like Country
    from CountryCode, are not among them)."""
    return all(
        _stored(name, record.get(name)) == _stored(name, value) for name, value in fields.items()
    )


def _matched_ids(error: dict) -> list[str]:
    # Real Salesforce spells it "duplicateResut"; the documentation "duplicateResult".
    result = error.get("duplicateResut") or error.get("duplicateResult") or {}
    if isinstance(result, list):
        result = result[0] if result else {}
    ids = []
    for match in result.get("matchResults", []) or []:
        for found in match.get("matchRecords", []) or []:
            record = found.get("record") or {}
            if record.get("Id"):
                ids.append(record["Id"])
    return ids


__all__ = ["run_batch", "EngineOptions", "ApiDisabled"]
