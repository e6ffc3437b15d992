"""SOQL parser and evaluator for the subset the product (and its clients) use.

    SELECT <fields | parent.fields | COUNT()> FROM <object>
    [WHERE <condition>] [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

Pure Python, no framework. ``parse`` checks syntax and names against the
schema and raises ``SoqlError`` with Salesforce's error codes and message
shapes (the caret block ``\\n<row>\\n   ^\\nERROR at Row:r:Column:c\\n<text>``).
``execute`` filters, orders and shapes records like the REST query endpoint.

Salesforce semantics reproduced on purpose:
- keywords, object and field names are case-insensitive; results use the
  schema's canonical names;
- string ``=``, ``!=``, ``IN``, ``LIKE`` and ORDER BY ignore case (incl. non-ASCII);
- AND and OR cannot be mixed without parentheses;
- ``!=``/``NOT IN`` match records whose field is null; ``<``/``>``/``LIKE`` do not;
- a 15-character id literal matches the 18-character id of the same record;
- nulls sort first unless NULLS LAST is given (in both directions).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol

__all__ = [
    "SoqlError",
    "Query",
    "FieldPath",
    "parse",
    "execute",
    "count",
    "query_response",
    "escape_string_literal",
    "MAX_QUERY_LENGTH",
]

MAX_QUERY_LENGTH = 100_000
MAX_OFFSET = 2000
DEFAULT_API_VERSION = "59.0"

_NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)
_UNKNOWN_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
_UNKNOWN_OBJECT = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, "
    "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse; ``to_json`` is the REST error body."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message

    def to_json(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.error_code}]


class SchemaLike(Protocol):
    """What the parser needs from ``salesforce_emulator.schema.ObjectSchema``."""

    name: str

    def field(self, name: str) -> dict | None: ...

    def relationship(self, relationship_name: str) -> dict | None: ...


SchemaLookup = Callable[[str], SchemaLike | None] | Mapping[str, SchemaLike]
RecordSource = Callable[[str], Iterable[dict]] | Mapping[str, Iterable[dict]]
RecordLookup = Callable[[str, str], dict | None]  # (object type, id) -> record


# --------------------------------------------------------------------------- errors


def _positioned_message(soql: str, offset: int, text: str) -> str:
    """Salesforce's caret block pointing at ``offset`` (0-based) of ``soql``."""
    row = soql.count("\n", 0, offset) + 1
    line_start = soql.rfind("\n", 0, offset) + 1
    line_end = soql.find("\n", offset)
    line = soql[line_start : line_end if line_end != -1 else len(soql)]
    column = offset - line_start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{text}"


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # IDENT, STRING, NUMBER, DATE, DATETIME, OP, LPAREN, RPAREN, COMMA, EOF
    text: str
    offset: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "IDENT" and self.text.upper() in words


_TOKEN_PATTERNS = [
    ("WS", r"\s+"),
    ("DATETIME", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})"),
    ("DATE", r"\d{4}-\d{2}-\d{2}(?![\dT])"),
    ("NUMBER", r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"),
    ("IDENT", r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?"),
    ("OP", r"!=|<>|<=|>=|=|<|>"),
    ("LPAREN", r"\("),
    ("RPAREN", r"\)"),
    ("COMMA", r","),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TOKEN_PATTERNS))


def tokenize(soql: str) -> list[Token]:
    tokens: list[Token] = []
    offset = 0
    while offset < len(soql):
        if soql[offset] == "'":
            end = _string_literal_end(soql, offset)
            tokens.append(Token("STRING", soql[offset + 1 : end], offset))
            offset = end + 1
            continue
        match = _TOKEN_RE.match(soql, offset)
        if match is None:
            raise SoqlError(
                "MALFORMED_QUERY",
                _positioned_message(soql, offset, f"unexpected token: '{soql[offset]}'"),
            )
        if match.lastgroup != "WS":
            tokens.append(Token(match.lastgroup, match.group(), offset))
        offset = match.end()
    tokens.append(Token("EOF", "<EOF>", len(soql)))
    return tokens


def _string_literal_end(soql: str, start: int) -> int:
    """Offset of the quote closing the literal opened at ``start``."""
    index = start + 1
    while index < len(soql):
        if soql[index] == "\\":
            index += 2
        elif soql[index] == "'":
            return index
        else:
            index += 1
    raise SoqlError(
        "MALFORMED_QUERY", _positioned_message(soql, start, "unexpected token: '<EOF>'")
    )


# --------------------------------------------------------------------------- string literals

_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_LIKE_ONLY_ESCAPES = {"_", "%"}


def escape_string_literal(value: str, for_like: bool = False) -> str:
    """Escape ``value`` for use between single quotes (the §7 client rule)."""
    out = []
    for char in value:
        if char in "\\'\"":
            out.append("\\" + char)
        elif char in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[char])
        elif for_like and char in "%_":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _decode_literal(
    raw: str, for_like: bool, error: Callable[[str], SoqlError]
) -> list[tuple[str, bool]]:
    """Literal body → [(char, escaped)]; escaped chars are never LIKE wildcards."""
    chars: list[tuple[str, bool]] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char != "\\":
            chars.append((char, False))
            index += 1
            continue
        code = raw[index + 1] if index + 1 < len(raw) else ""
        if code.lower() in _SIMPLE_ESCAPES:
            chars.append((_SIMPLE_ESCAPES[code.lower()], True))
            index += 2
        elif code in _LIKE_ONLY_ESCAPES and for_like:
            chars.append((code, True))
            index += 2
        elif code == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", raw[index + 2 : index + 6]):
            chars.append((chr(int(raw[index + 2 : index + 6], 16)), True))
            index += 6
        else:
            raise error(
                f"Invalid string literal '{raw}'. Illegal character sequence '\\{code}' in "
                "string literal."
            )
    return chars


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class FieldPath:
    """A resolved field: relationship hops from the queried object, then a field."""

    relationships: tuple[tuple[str, tuple[str, ...]], ...]  # (relationshipName, referenceTo)
    reference_fields: tuple[str, ...]  # the reference field behind each hop (OwnerId ...)
    field_name: str  # canonical
    field_type: str
    text: str  # as written in the query
    filterable: bool = True  # the describe's flags: WHERE / ORDER BY refuse the field if false
    sortable: bool = True

    @property
    def canonical(self) -> str:
        return ".".join([name for name, _ in self.relationships] + [self.field_name])


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, date_range
    value: Any
    raw: str = ""
    offset: int = 0


@dataclass(frozen=True)
class Comparison:
    path: FieldPath
    operator: str  # =, !=, <, <=, >, >=, IN, NOT IN, LIKE
    values: tuple[Literal, ...]
    like_pattern: re.Pattern | None = None
    subquery: Query | None = None  # semi-join / anti-join: IN (SELECT LeadId FROM ...)


@dataclass(frozen=True)
class BoolOp:
    operator: str  # AND, OR
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    operand: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    path: FieldPath
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[FieldPath, ...]  # empty for COUNT()
    is_count: bool = False
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int = 0
    soql: str = ""
    children: tuple[ChildQuery, ...] = ()
    # COUNT(field) [alias] items: the query answers one AggregateResult row.
    aggregates: tuple[tuple[FieldPath, str], ...] = ()


@dataclass(frozen=True)
class ChildQuery:
    """``(SELECT ... FROM Account.Contacts)``: children whose ``field`` points at the row."""

    relationship_name: str  # canonical, the key in the result ("Contacts")
    field: str  # the child's reference field ("AccountId")
    query: Query


@dataclass(frozen=True)
class _Aggregate:
    field_token: Token  # the field inside COUNT(...)
    alias: str | None


@dataclass(frozen=True)
class _SubqueryStart:
    position: int  # token index of the "(" opening the subquery


# --------------------------------------------------------------------------- parser

_CLAUSE_KEYWORDS = {
    "FROM",
    "WHERE",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "GROUP",
    "HAVING",
    "FOR",
    "WITH",
    "USING",
    "UPDATE",
}
_COMPARISON_OPERATORS = {"=", "!=", "<>", "<", "<=", ">", ">="}
_STRING_TYPES = {
    "string",
    "email",
    "phone",
    "url",
    "textarea",
    "picklist",
    "multipicklist",
    "combobox",
    "encryptedstring",
}
_ID_TYPES = {"id", "reference"}
_NUMBER_TYPES = {"int", "double", "currency", "percent", "long"}
_ID_PATTERN = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_NAMED_DATE = re.compile(
    r"(TODAY|YESTERDAY|TOMORROW|(?:LAST|THIS|NEXT)_(?:WEEK|MONTH|YEAR)|LAST_90_DAYS|"
    r"NEXT_90_DAYS|(?:LAST|NEXT)_N_DAYS:\d+|N_DAYS_AGO:\d+)",
    re.IGNORECASE,
)


def parse(soql: str, schema: SchemaLookup | None = None) -> Query:
    """Parse and validate ``soql`` against ``schema`` (object name → ObjectSchema).

    ``schema`` may be a callable or a mapping; the default is the emulator's
    standard schemas (``salesforce_emulator.schema.load_schema``).
    """
    if len(soql) > MAX_QUERY_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY", "SOQL statements cannot be longer than 100,000 characters."
        )
    return _Parser(soql, _schema_lookup(schema)).parse_query()


def _schema_lookup(schema: SchemaLookup | None) -> Callable[[str], SchemaLike | None]:
    if schema is None:
        from .schema import canonical_object_name
        from .schema import load_schema

        return lambda name: load_schema(name) if canonical_object_name(name) else None
    if isinstance(schema, Mapping):
        by_lower = {key.lower(): value for key, value in schema.items()}
        return lambda name: by_lower.get(name.lower())
    return schema


class _Parser:
    def __init__(self, soql: str, lookup: Callable[[str], SchemaLike | None]) -> None:
        self.soql = soql
        self.lookup = lookup
        self.tokens = tokenize(soql)
        self.position = 0

    # -- token helpers

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def error_at(self, offset: int, text: str, code: str = "MALFORMED_QUERY") -> SoqlError:
        return SoqlError(code, _positioned_message(self.soql, offset, text))

    def unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self.current
        return self.error_at(token.offset, f"unexpected token: '{token.text}'")

    def expect_keyword(self, *words: str) -> Token:
        if not self.current.is_keyword(*words):
            raise self.unexpected()
        return self.advance()

    def expect(self, kind: str) -> Token:
        if self.current.kind != kind:
            raise self.unexpected()
        return self.advance()

    # -- clauses

    def parse_query(self) -> Query:
        if not self.current.is_keyword("SELECT"):
            # Salesforce reports a bad first word without the caret block (recorded).
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {self.current.text}")
        self.advance()
        select_tokens, is_count = self.parse_select_list()
        self.expect_keyword("FROM")
        object_token = self.expect("IDENT")
        object_schema = self.lookup(object_token.text)
        if object_schema is None or "." in object_token.text:
            raise self.error_at(
                object_token.offset, _UNKNOWN_OBJECT.format(name=object_token.text), "INVALID_TYPE"
            )
        self.object_schema = object_schema
        plain_tokens = [t for t in select_tokens if isinstance(t, Token)]
        aggregate_items = [t for t in select_tokens if isinstance(t, _Aggregate)]
        if aggregate_items and plain_tokens:
            # Without GROUP BY (not supported here) plain fields cannot join aggregates.
            raise self.error_at(
                plain_tokens[0].offset,
                f"Field must be grouped or aggregated: {plain_tokens[0].text}",
                "MALFORMED_QUERY",
            )
        fields = tuple(self.resolve_path(token) for token in plain_tokens)
        self.reject_duplicates(fields, plain_tokens)
        aggregates = []
        for item in aggregate_items:
            alias = item.alias or f"expr{sum(1 for _, a in aggregates if a.startswith('expr'))}"
            aggregates.append((self.resolve_path(item.field_token), alias))
        children = tuple(
            self.parse_child_query(item.position)
            for item in select_tokens
            if isinstance(item, _SubqueryStart)
        )
        where = None
        if self.current.is_keyword("WHERE"):
            self.advance()
            where = self.parse_condition()
        order_by = self.parse_order_by() if self.current.is_keyword("ORDER") else ()
        limit = self.parse_count_clause("LIMIT")
        offset = self.parse_count_clause("OFFSET")
        if offset is not None and offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        if self.current.kind != "EOF":
            raise self.unexpected()
        return Query(
            object_schema.name,
            fields,
            is_count,
            where,
            order_by,
            limit,
            offset or 0,
            self.soql,
            children,
            tuple(aggregates),
        )

    def parse_child_query(self, position: int) -> ChildQuery:
        """Parse the subquery starting at token ``position`` against the outer object."""
        outer_schema, outer_position = self.object_schema, self.position
        self.position = position + 2  # past "(" and SELECT
        field_tokens = [self.parse_select_item(allow_subquery=False)]
        while self.current.kind == "COMMA":
            self.advance()
            field_tokens.append(self.parse_select_item(allow_subquery=False))
        self.expect_keyword("FROM")
        relationship_token = self.expect("IDENT")
        parts = relationship_token.text.split(".")
        if len(parts) == 2 and parts[0].lower() == outer_schema.name.lower():
            parts = parts[1:]
        finder = getattr(outer_schema, "child_relationship", None)
        child = finder(parts[0]) if finder and len(parts) == 1 else None
        child_schema = self.lookup(child["childSObject"]) if child else None
        if child_schema is None:
            raise self.error_at(
                relationship_token.offset,
                (
                    f"Didn't understand relationship '{parts[-1]}' in FROM part of query call. If "
                    "you are attempting to use a custom relationship, be sure to append the '__r' "
                    "after the custom relationship name. Please reference your WSDL or the describe "
                    "call for the appropriate names."
                ),
                "INVALID_TYPE",
            )
        self.object_schema = child_schema
        fields = tuple(self.resolve_path(token) for token in field_tokens)
        self.reject_duplicates(fields, field_tokens)
        where = None
        if self.current.is_keyword("WHERE"):
            self.advance()
            where = self.parse_condition()
        order_by = self.parse_order_by() if self.current.is_keyword("ORDER") else ()
        limit = self.parse_count_clause("LIMIT")
        self.expect("RPAREN")
        self.object_schema, self.position = outer_schema, outer_position
        query = Query(child_schema.name, fields, False, where, order_by, limit)
        return ChildQuery(child["relationshipName"], child["field"], query)

    def parse_select_list(self) -> tuple[list[Token | _SubqueryStart | _Aggregate], bool]:
        if (
            self.current.is_keyword("COUNT")
            and self.tokens[self.position + 1].kind == "LPAREN"
            and self.tokens[self.position + 2].kind == "RPAREN"
        ):
            self.advance()
            self.advance()
            self.expect("RPAREN")
            return [], True
        field_tokens = [self.parse_select_item()]
        while self.current.kind == "COMMA":
            self.advance()
            field_tokens.append(self.parse_select_item())
        return field_tokens, False

    def parse_select_item(self, allow_subquery: bool = True) -> Token | _SubqueryStart | _Aggregate:
        token = self.current
        if (
            allow_subquery
            and token.is_keyword("COUNT")
            and self.tokens[self.position + 1].kind == "LPAREN"
        ):
            # SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)".
            self.advance()
            self.advance()
            field_token = self.expect("IDENT")
            self.expect("RPAREN")
            alias = None
            if self.current.kind == "IDENT" and self.current.text.upper() not in _CLAUSE_KEYWORDS:
                alias = self.advance().text
            return _Aggregate(field_token, alias)
        if (
            allow_subquery
            and token.kind == "LPAREN"
            and self.tokens[self.position + 1].is_keyword("SELECT")
        ):
            return self.skip_subquery()
        if token.kind != "IDENT" or token.text.upper() in _CLAUSE_KEYWORDS:
            raise self.unexpected()
        self.advance()
        if self.current.kind == "LPAREN":  # aggregate functions other than COUNT()
            raise self.unexpected()
        return token

    def skip_subquery(self) -> _SubqueryStart:
        """Step over a parenthesised subquery; it is parsed once the outer FROM is known."""
        start, depth = self.position, 0
        while True:
            token = self.advance()
            if token.kind == "EOF":
                raise self.unexpected(token)
            depth += {"LPAREN": 1, "RPAREN": -1}.get(token.kind, 0)
            if depth == 0:
                return _SubqueryStart(start)

    def reject_duplicates(self, fields: Sequence[FieldPath], tokens: Sequence[Token]) -> None:
        seen: set[str] = set()
        for path, token in zip(fields, tokens, strict=False):
            key = path.canonical.lower()
            if key in seen:
                raise self.error_at(
                    token.offset, f"duplicate field selected: {path.canonical}", "INVALID_FIELD"
                )
            seen.add(key)

    def parse_count_clause(self, keyword: str) -> int | None:
        if not self.current.is_keyword(keyword):
            return None
        self.advance()
        token = self.current
        if token.kind != "NUMBER" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    def parse_order_by(self) -> tuple[OrderItem, ...]:
        self.advance()
        self.expect_keyword("BY")
        items = [self.parse_order_item()]
        while self.current.kind == "COMMA":
            self.advance()
            items.append(self.parse_order_item())
        return tuple(items)

    def parse_order_item(self) -> OrderItem:
        token = self.expect("IDENT")
        path = self.resolve_path(token)
        if not path.sortable:
            # The describe's "sortable" flag (SOAP API Developer Guide, Field); wording [U].
            raise self.error_at(
                token.offset,
                f"field '{path.field_name}' can not be sorted in a query call",
                "INVALID_FIELD",
            )
        descending = False
        if self.current.is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = False
        if self.current.is_keyword("NULLS"):
            self.advance()
            nulls_last = self.expect_keyword("FIRST", "LAST").text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    # -- WHERE

    def parse_condition(self) -> Condition:
        """A chain of AND or of OR; mixing them needs parentheses, as in Salesforce."""
        operands = [self.parse_unary()]
        connective = None
        while self.current.is_keyword("AND", "OR"):
            word = self.current.text.upper()
            if connective is not None and word != connective:
                raise self.unexpected()
            connective = word
            self.advance()
            operands.append(self.parse_unary())
        return operands[0] if connective is None else BoolOp(connective, tuple(operands))

    def parse_unary(self) -> Condition:
        if self.current.is_keyword("NOT"):
            self.advance()
            return Not(self.parse_unary())
        if self.current.kind == "LPAREN":
            self.advance()
            condition = self.parse_condition()
            self.expect("RPAREN")
            return condition
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        field_token = self.current
        if field_token.kind != "IDENT" or field_token.text.upper() in _CLAUSE_KEYWORDS | {
            "AND",
            "OR",
            "NOT",
        }:
            raise self.unexpected()
        self.advance()
        path = self.resolve_path(field_token)
        if not path.filterable:
            # The describe's "filterable" flag (SOAP API Developer Guide, Field); wording [U].
            raise self.error_at(
                field_token.offset,
                f"field '{path.field_name}' can not be filtered in query call",
                "INVALID_FIELD",
            )
        if self.current.kind == "OP":
            operator = self.advance().text
            operator = "!=" if operator == "<>" else operator
            value = self.parse_value()
            comparison = Comparison(path, operator, (value,))
        elif self.current.is_keyword("LIKE"):
            self.advance()
            comparison = self.parse_like(path, field_token)
        elif self.current.is_keyword("IN") or (
            self.current.is_keyword("NOT") and self.tokens[self.position + 1].is_keyword("IN")
        ):
            operator = "NOT IN" if self.current.is_keyword("NOT") else "IN"
            self.position += 2 if operator == "NOT IN" else 1
            if self.current.kind == "LPAREN" and self.tokens[self.position + 1].is_keyword(
                "SELECT"
            ):
                return self.parse_semi_join(path, operator, field_token)
            comparison = Comparison(path, operator, self.parse_value_list())
        else:
            raise self.unexpected()
        self.check_value_types(comparison, field_token)
        return comparison

    def parse_semi_join(self, path: FieldPath, operator: str, field_token: Token) -> Comparison:
        """``Id IN (SELECT LeadId FROM CampaignMember WHERE ...)`` (SOQL and SOSL Reference,
        "Semi-Joins with IN and Anti-Joins with NOT IN"): both sides are ids or references."""
        self.expect("LPAREN")
        self.expect_keyword("SELECT")
        select_token = self.expect("IDENT")
        self.expect_keyword("FROM")
        object_token = self.expect("IDENT")
        inner_schema = self.lookup(object_token.text)
        if inner_schema is None:
            raise self.error_at(
                object_token.offset, _UNKNOWN_OBJECT.format(name=object_token.text), "INVALID_TYPE"
            )
        outer_schema, self.object_schema = self.object_schema, inner_schema
        inner_path = self.resolve_path(select_token)
        where = None
        if self.current.is_keyword("WHERE"):
            self.advance()
            where = self.parse_condition()
        self.expect("RPAREN")
        self.object_schema = outer_schema
        for side, token in ((path, field_token), (inner_path, select_token)):
            if side.field_type not in _ID_TYPES:
                # [U] wording: the reference says only that both fields must be ids.
                raise self.error_at(
                    token.offset,
                    "semi join sub-selects are only allowed on fields of type id or reference",
                    "INVALID_FIELD",
                )
        inner = Query(inner_schema.name, (inner_path,), False, where)
        return Comparison(path, operator, (), subquery=inner)

    def parse_like(self, path: FieldPath, field_token: Token) -> Comparison:
        token = self.current
        if token.kind != "STRING":
            raise self.unexpected()
        self.advance()
        chars = _decode_literal(token.text, True, lambda text: self.error_at(token.offset, text))
        regex = "".join(
            re.escape(char) if escaped or char not in "%_" else (".*" if char == "%" else ".")
            for char, escaped in chars
        )
        if path.field_type not in _STRING_TYPES | _ID_TYPES:
            raise self.error_at(
                field_token.offset,
                f"invalid operator on {path.field_type} field",
                "INVALID_QUERY_FILTER_OPERATOR",
            )
        pattern = re.compile(regex, re.IGNORECASE | re.DOTALL)
        return Comparison(
            path, "LIKE", (Literal("string", token.text, token.text, token.offset),), pattern
        )

    def parse_value_list(self) -> tuple[Literal, ...]:
        self.expect("LPAREN")
        values = [self.parse_value()]
        while self.current.kind == "COMMA":
            self.advance()
            values.append(self.parse_value())
        self.expect("RPAREN")
        return tuple(values)

    def parse_value(self) -> Literal:
        token = self.current
        if token.kind == "STRING":
            self.advance()
            chars = _decode_literal(
                token.text, False, lambda text: self.error_at(token.offset, text)
            )
            return Literal("string", "".join(c for c, _ in chars), token.text, token.offset)
        if token.kind == "NUMBER":
            self.advance()
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number, token.text, token.offset)
        if token.kind == "DATE":
            self.advance()
            return Literal("date", _parse_date(token.text), token.text, token.offset)
        if token.kind == "DATETIME":
            self.advance()
            return Literal("datetime", _parse_datetime(token.text), token.text, token.offset)
        if token.is_keyword("NULL"):
            self.advance()
            return Literal("null", None, token.text, token.offset)
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return Literal("boolean", token.text.upper() == "TRUE", token.text, token.offset)
        if token.kind == "IDENT" and _NAMED_DATE.fullmatch(token.text):
            self.advance()
            return Literal("date_range", token.text.upper(), token.text, token.offset)
        raise self.unexpected()

    def check_value_types(self, comparison: Comparison, field_token: Token) -> None:
        """Refuse literals of the wrong type with Salesforce's messages."""
        field_type = comparison.path.field_type
        for literal in comparison.values:
            if literal.kind == "null":
                continue
            if field_type in _ID_TYPES and literal.kind == "string":
                if not _ID_PATTERN.fullmatch(literal.value):
                    raise self.error_at(
                        field_token.offset,
                        f"invalid ID field: {literal.value}",
                        "INVALID_QUERY_FILTER_OPERATOR",
                    )
                continue
            expected = _expected_literal(field_type)
            if expected is not None and literal.kind not in expected[0]:
                raise self.error_at(
                    literal.offset,
                    (
                        f"value of filter criterion for field '{comparison.path.field_name}' must be "
                        f"of type {expected[1]}"
                    ),
                    "INVALID_FIELD",
                )

    # -- names

    def resolve_path(self, token: Token) -> FieldPath:
        """'Owner.Email' → hops through OwnerId to User.Email; errors name the bad part."""
        parts = token.text.split(".")
        schema: SchemaLike = self.object_schema
        if (
            len(parts) > 1
            and schema.relationship(parts[0]) is None
            and parts[0].lower() == schema.name.lower()
        ):
            parts = parts[1:]  # "Account.Name" FROM Account: the object's own name as prefix
        hops: list[tuple[str, tuple[str, ...]]] = []
        reference_fields: list[str] = []
        for part in parts[:-1]:
            reference = schema.relationship(part)
            target = _first_known(reference["referenceTo"], self.lookup) if reference else None
            if target is None:
                raise self.error_at(
                    token.offset, _UNKNOWN_RELATIONSHIP.format(name=part), "INVALID_FIELD"
                )
            hops.append((reference["relationshipName"], tuple(reference["referenceTo"])))
            reference_fields.append(reference["name"])
            schema = target
        entry = schema.field(parts[-1])
        if entry is None:
            raise self.error_at(
                token.offset,
                _NO_SUCH_COLUMN.format(
                    name=token.text if not hops else parts[-1], entity=schema.name
                ),
                "INVALID_FIELD",
            )
        return FieldPath(
            tuple(hops),
            tuple(reference_fields),
            entry["name"],
            entry["type"],
            token.text,
            bool(entry.get("filterable", True)),
            bool(entry.get("sortable", True)),
        )


def _expected_literal(field_type: str) -> tuple[set[str], str] | None:
    """(accepted literal kinds, Salesforce's wording) for a field type."""
    if field_type in _STRING_TYPES:
        return {"string"}, "string and should be enclosed in quotes"
    if field_type in _ID_TYPES:
        return {"string"}, "id and should be enclosed in quotes"
    if field_type == "boolean":
        return {"boolean"}, "boolean and should not be enclosed in quotes"
    if field_type in _NUMBER_TYPES:
        wording = "integer" if field_type == "int" else "double"
        return {"number"}, f"{wording} and should not be enclosed in quotes"
    if field_type == "date":
        return {"date", "date_range"}, "date and should not be enclosed in quotes"
    if field_type == "datetime":
        return {"datetime", "date_range"}, "dateTime and should not be enclosed in quotes"
    return None


def _first_known(object_names: Sequence[str], lookup) -> SchemaLike | None:
    # A polymorphic reference (Lead.Owner → Group|User) resolves to the Name object (SOQL and
    # SOSL Reference, "Understanding Relationship Fields and Polymorphic Fields"): only the
    # fields every owner kind shares, e.g. Owner.Name, Owner.Username, Owner.Type.
    if len(object_names) > 1:
        known = [name for name in object_names if lookup(name) is not None]
        return NAME_OBJECT if known else None
    return next((s for s in map(lookup, object_names) if s is not None), None)


class _NameObject:
    """The Name object's fields (SOAP API Developer Guide / Object Reference, "Name")."""

    name = "Name"
    FIELDS = (
        ("Id", "id"),
        ("Alias", "string"),
        ("CommunityNickname", "string"),
        ("Email", "email"),
        ("FirstName", "string"),
        ("IsActive", "boolean"),
        ("LastName", "string"),
        ("LastReferencedDate", "datetime"),
        ("LastViewedDate", "datetime"),
        ("MediumPhotoUrl", "url"),
        ("Name", "string"),
        ("NameOrAlias", "string"),
        ("Phone", "phone"),
        ("ProfileId", "reference"),
        ("RecordTypeId", "reference"),
        ("SmallPhotoUrl", "url"),
        ("Title", "string"),
        ("Type", "picklist"),
        ("UserRoleId", "reference"),
        ("Username", "string"),
    )

    def __init__(self) -> None:
        self._fields = {
            name.lower(): {"name": name, "type": field_type} for name, field_type in self.FIELDS
        }

    def field(self, name: str) -> dict | None:
        return self._fields.get(name.lower())

    def relationship(self, relationship_name: str) -> dict | None:
        return None


NAME_OBJECT = _NameObject()


def _is_polymorphic(targets: Sequence[str]) -> bool:
    return len(targets) > 1


def _name_value(parent_type: str | None, parent: dict, field_name: str) -> Any:
    """A Name field of a polymorphic parent: Type says which kind of owner it is."""
    if field_name == "Type":
        return "User" if parent_type == "User" else parent.get("Type") or "Queue"
    return parent.get(field_name)


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _parse_datetime(text: str) -> dt.datetime:
    """Query literals and stored values: Z, +01:00 and Salesforce's +0000 offsets."""
    normalized = text.replace("Z", "+00:00")
    normalized = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", normalized)
    return dt.datetime.fromisoformat(normalized).astimezone(dt.UTC)


# --------------------------------------------------------------------------- evaluation


def _date_range(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """Named date literal → [start, end) in days (weeks start on Sunday, en_US)."""
    day = dt.timedelta(days=1)
    word, _, number_text = name.partition(":")
    n = int(number_text) if number_text else 0
    week_start = today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month_start = today.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    previous_month = (month_start - day).replace(day=1)
    ranges = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "THIS_WEEK": (week_start, week_start + 7 * day),
        "LAST_WEEK": (week_start - 7 * day, week_start),
        "NEXT_WEEK": (week_start + 7 * day, week_start + 14 * day),
        "THIS_MONTH": (month_start, next_month),
        "LAST_MONTH": (previous_month, month_start),
        "NEXT_MONTH": (next_month, (next_month + dt.timedelta(days=32)).replace(day=1)),
        "THIS_YEAR": (dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)),
        "LAST_YEAR": (dt.date(today.year - 1, 1, 1), dt.date(today.year, 1, 1)),
        "NEXT_YEAR": (dt.date(today.year + 1, 1, 1), dt.date(today.year + 2, 1, 1)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "LAST_N_DAYS": (today - n * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (n + 1) * day),
        "N_DAYS_AGO": (today - n * day, today - (n - 1) * day),
    }
    return ranges[word]


@dataclass
class _Evaluator:
    query: Query
    lookup_record: RecordLookup
    now: dt.datetime
    _parent_cache: dict = field(default_factory=dict)
    source: Callable[[str], Iterable[dict]] | None = None
    _semi_join_cache: dict = field(default_factory=dict)

    def semi_join_values(self, query: Query) -> set[str]:
        """The (15-character) ids a semi-join's subquery selects, computed once per query."""
        key = id(query)
        if key not in self._semi_join_cache:
            inner = _Evaluator(query, self.lookup_record, self.now, source=self.source)
            selected = set()
            for record in self.source(query.object_name) if self.source else ():
                if query.where is None or inner.matches(record, query.where):
                    value = inner.value(record, query.fields[0])
                    if value:
                        selected.add(str(value)[:15])
            self._semi_join_cache[key] = selected
        return self._semi_join_cache[key]

    def parent_chain(self, record: dict, path: FieldPath) -> tuple[dict | None, list]:
        """Walk the relationship hops; returns (final record, [(type, record) per hop])."""
        current: dict | None = record
        chain: list[tuple[str, dict | None]] = []
        for (_relationship, targets), reference_field in zip(
            path.relationships, path.reference_fields, strict=False
        ):
            parent_id = current.get(reference_field) if current else None
            found = self.find_parent(targets, parent_id) if parent_id else None
            current = found[1] if found else None
            chain.append(found if found else (None, None))
        return current, chain

    def find_parent(self, targets: Sequence[str], record_id: str) -> tuple[str, dict] | None:
        key = (tuple(targets), record_id)
        if key not in self._parent_cache:
            self._parent_cache[key] = next(
                (
                    (target, parent)
                    for target in targets
                    if (parent := self.lookup_record(target, record_id)) is not None
                ),
                None,
            )
        return self._parent_cache[key]

    def value(self, record: dict, path: FieldPath) -> Any:
        holder, chain = self.parent_chain(record, path)
        if holder is None:
            return None
        if path.relationships and _is_polymorphic(path.relationships[-1][1]):
            value = _name_value(chain[-1][0], holder, path.field_name)
        else:
            value = holder.get(path.field_name)
        # Salesforce checkboxes are never null: an unset one reads as false.
        return False if value is None and path.field_type == "boolean" else value

    def matches(self, record: dict, condition: Condition) -> bool:
        if isinstance(condition, BoolOp):
            results = (self.matches(record, operand) for operand in condition.operands)
            return all(results) if condition.operator == "AND" else any(results)
        if isinstance(condition, Not):
            return not self.matches(record, condition.operand)
        return self.compare(self.value(record, condition.path), condition)

    def compare(self, stored: Any, comparison: Comparison) -> bool:
        operator, field_type = comparison.operator, comparison.path.field_type
        if comparison.subquery is not None:
            found = stored is not None and str(stored)[:15] in self.semi_join_values(
                comparison.subquery
            )
            return found if operator == "IN" else not found
        if operator == "LIKE":
            return stored is not None and comparison.like_pattern.fullmatch(str(stored)) is not None
        if operator in ("IN", "NOT IN"):
            found = any(self.equal(stored, literal, field_type) for literal in comparison.values)
            return found if operator == "IN" else not found
        literal = comparison.values[0]
        if operator == "=":
            return self.equal(stored, literal, field_type)
        if operator == "!=":
            return not self.equal(stored, literal, field_type)
        if stored is None or literal.kind == "null":
            return False
        return self.ordered(stored, literal, field_type, operator)

    def equal(self, stored: Any, literal: Literal, field_type: str) -> bool:
        if literal.kind == "null" or stored is None:
            return literal.kind == "null" and stored is None
        if literal.kind == "date_range":
            start, end = self.range_bounds(literal, field_type)
            return start <= _comparable(stored, field_type) < end
        return _comparable(stored, field_type) == _comparable_literal(literal, field_type)

    def ordered(self, stored: Any, literal: Literal, field_type: str, operator: str) -> bool:
        value = _comparable(stored, field_type)
        if literal.kind == "date_range":
            start, end = self.range_bounds(literal, field_type)
            return {"<": value < start, "<=": value < end, ">": value >= end, ">=": value >= start}[
                operator
            ]
        other = _comparable_literal(literal, field_type)
        return {"<": value < other, "<=": value <= other, ">": value > other, ">=": value >= other}[
            operator
        ]

    def range_bounds(self, literal: Literal, field_type: str) -> tuple[Any, Any]:
        start, end = _date_range(literal.value, self.now.date())
        if field_type == "datetime":

            def as_datetime(day):
                return dt.datetime.combine(day, dt.time(), dt.UTC)

            return as_datetime(start), as_datetime(end)
        return start, end


def _comparable(value: Any, field_type: str) -> Any:
    """A stored (JSON) value in a form that compares like Salesforce compares it."""
    if field_type in _STRING_TYPES:
        return str(value).lower()
    if field_type in _ID_TYPES:
        return str(value)[:15]  # 15- and 18-character forms of an id are the same record
    if field_type == "date":
        return _parse_date(value) if isinstance(value, str) else value
    if field_type == "datetime":
        return _parse_datetime(value) if isinstance(value, str) else value
    return value


def _comparable_literal(literal: Literal, field_type: str) -> Any:
    if literal.kind == "string":
        return _comparable(literal.value, field_type)
    return literal.value


def _sort_key(value: Any, field_type: str) -> Any:
    if field_type in _STRING_TYPES:
        return str(value).upper()  # Salesforce sorts on upper-cased text: case-insensitive
    return _comparable(value, field_type)


def _order(records: list[dict], query: Query, evaluator: _Evaluator) -> list[dict]:
    # Stable sorts from the last key to the first give a multi-key ordering.
    for item in reversed(query.order_by):
        with_value = [(evaluator.value(r, item.path), r) for r in records]
        present = [(v, r) for v, r in with_value if v is not None]
        missing = [r for v, r in with_value if v is None]
        present.sort(
            key=lambda pair: _sort_key(pair[0], item.path.field_type), reverse=item.descending
        )
        ordered_present = [r for _, r in present]
        records = ordered_present + missing if item.nulls_last else missing + ordered_present
    return records


def _records_source(records_by_type: RecordSource) -> Callable[[str], Iterable[dict]]:
    if isinstance(records_by_type, Mapping):
        return lambda object_type: records_by_type.get(object_type, ())
    return records_by_type


def _default_record_lookup(source: Callable[[str], Iterable[dict]]) -> RecordLookup:
    def lookup(object_type: str, record_id: str) -> dict | None:
        return next(
            (r for r in source(object_type) if str(r.get("Id", ""))[:15] == str(record_id)[:15]),
            None,
        )

    return lookup


def _matching_records(
    query: Query,
    records_by_type: RecordSource,
    lookup_record: RecordLookup | None,
    now: dt.datetime | None,
) -> tuple[list[dict], _Evaluator]:
    source = _records_source(records_by_type)
    evaluator = _Evaluator(
        query,
        lookup_record or _default_record_lookup(source),
        now or dt.datetime.now(dt.UTC),
        source=source,
    )
    records = [
        r
        for r in source(query.object_name)
        if query.where is None or evaluator.matches(r, query.where)
    ]
    return _order(records, query, evaluator), evaluator


def count(
    query: Query,
    records_by_type: RecordSource,
    lookup_record: RecordLookup | None = None,
    *,
    now: dt.datetime | None = None,
) -> int:
    """Number of records the query selects (COUNT() honours LIMIT/OFFSET too)."""
    records, _ = _matching_records(query, records_by_type, lookup_record, now)
    return len(_page(records, query))


def aggregate(
    query: Query,
    records_by_type: RecordSource,
    lookup_record: RecordLookup | None = None,
    *,
    now: dt.datetime | None = None,
) -> list[dict]:
    """COUNT(field) items: one AggregateResult row; COUNT(field) counts non-null values
    (SOQL and SOSL Reference, "COUNT() and COUNT(fieldName)"), unaliased ones are expr0...."""
    records, evaluator = _matching_records(query, records_by_type, lookup_record, now)
    row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    for path, alias in query.aggregates:
        row[alias] = sum(1 for r in records if evaluator.value(r, path) is not None)
    return [row]


def _page(records: list[dict], query: Query) -> list[dict]:
    end = None if query.limit is None else query.offset + query.limit
    return records[query.offset : end]


def execute(
    query: Query,
    records_by_type: RecordSource,
    schema: SchemaLookup | None = None,
    *,
    api_version: str = DEFAULT_API_VERSION,
    lookup_record: RecordLookup | None = None,
    now: dt.datetime | None = None,
) -> list[dict]:
    """The query's result records, shaped like REST ``records`` entries.

    ``records_by_type``: object name → stored records (dicts keyed by canonical
    field name, each with ``Id``). ``lookup_record(type, id)`` finds parents for
    relationship fields (default: scan ``records_by_type``). ``schema`` is kept
    for symmetry with ``parse`` (the parsed query already carries field types).
    For COUNT() queries this returns [] — use ``count`` or ``query_response``.
    """
    del schema  # names and types were resolved by parse()
    if query.is_count:
        return []
    if query.aggregates:
        return aggregate(query, records_by_type, lookup_record, now=now)
    records, evaluator = _matching_records(query, records_by_type, lookup_record, now)
    version = api_version.lstrip("v")
    return [_shape(record, query, evaluator, version) for record in _page(records, query)]


def query_response(
    query: Query, records_by_type: RecordSource, schema: SchemaLookup | None = None, **options: Any
) -> dict:
    """The whole (single-page) REST body: {totalSize, done, records}."""
    if query.is_count:
        total = count(query, records_by_type, options.get("lookup_record"), now=options.get("now"))
        return {"totalSize": total, "done": True, "records": []}
    if query.aggregates:
        rows = aggregate(
            query, records_by_type, options.get("lookup_record"), now=options.get("now")
        )
        return {"totalSize": len(rows), "done": True, "records": rows}
    records = execute(query, records_by_type, schema, **options)
    return {"totalSize": len(records), "done": True, "records": records}


def _attributes(object_type: str, record_id: Any, version: str) -> dict:
    return {
        "type": object_type,
        "url": f"/services/data/v{version}/sobjects/{object_type}/{record_id}",
    }


def _shape(record: dict, query: Query, evaluator: _Evaluator, version: str) -> dict:
    shaped: dict[str, Any] = {
        "attributes": _attributes(query.object_name, record.get("Id"), version)
    }
    for path in query.fields:
        if not path.relationships:
            shaped[path.field_name] = _output_value(record, path, query.object_name, version)
            continue
        _, chain = evaluator.parent_chain(record, path)
        container = shaped
        for (relationship, targets), (parent_type, parent) in zip(
            path.relationships, chain, strict=False
        ):
            if parent is None:
                # Salesforce returns null for a missing parent, not an empty object.
                container.setdefault(relationship, None)
                break
            existing = container.get(relationship)
            if existing is None:
                attributes = _attributes(parent_type, parent.get("Id"), version)
                if _is_polymorphic(targets):
                    attributes["type"] = "Name"  # the url still names the real object
                existing = {"attributes": attributes}
                container[relationship] = existing
            container = existing
        else:
            if _is_polymorphic(path.relationships[-1][1]):
                container[path.field_name] = _name_value(parent_type, parent, path.field_name)
            else:
                container[path.field_name] = _output_value(parent, path, parent_type, version)
    for child in query.children:
        shaped[child.relationship_name] = _child_result(record, child, evaluator, version)
    return shaped


def _child_result(
    record: dict, child: ChildQuery, evaluator: _Evaluator, version: str
) -> dict | None:
    """Nested {totalSize, done, records} of a child subquery; null when there are none."""
    parent_id = str(record.get("Id") or "")[:15]
    child_evaluator = _Evaluator(
        child.query, evaluator.lookup_record, evaluator.now, source=evaluator.source
    )
    candidates = [
        r
        for r in (evaluator.source(child.query.object_name) if evaluator.source else ())
        if parent_id and str(r.get(child.field) or "")[:15] == parent_id
    ]
    matching = [
        r
        for r in candidates
        if child.query.where is None or child_evaluator.matches(r, child.query.where)
    ]
    rows = _page(_order(matching, child.query, child_evaluator), child.query)
    if not rows:
        return None
    return {
        "totalSize": len(rows),
        "done": True,
        "records": [_shape(r, child.query, child_evaluator, version) for r in rows],
    }


def _output_value(record: dict, path: FieldPath, object_type: str, version: str) -> Any:
    value = record.get(path.field_name)
    if value is None and path.field_type == "boolean":
        return False  # checkboxes are never null in Salesforce
    if path.field_type == "base64" and value is not None:
        # Blobs are not inlined: the query returns the URL to fetch them (recorded).
        return (
            f"/services/data/v{version}/sobjects/{object_type}/{record.get('Id')}/{path.field_name}"
        )
    return value
