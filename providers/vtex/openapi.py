"""Validation of VTEX bodies against VTEX's own OpenAPI of the invoice paths (a copy lives beside this file).

The file is OpenAPI 3.0: its schemas are JSON Schema draft 4 plus `nullable` and `$ref`s into `components`.
They are turned into plain draft 4 once (references inlined, `nullable` folded into `type`), then checked with
jsonschema.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SPEC_FILE = Path(__file__).with_name("vtex-orders-invoice.openapi.json")
_REF_PREFIX = "#/"
_DROPPED_KEYWORDS = frozenset({"nullable", "example", "examples", "discriminator", "xml", "externalDocs"})


class OpenApiViolation(ValueError):
    """A body that VTEX's OpenAPI does not allow (or an operation it does not document)."""

    def __init__(self, where: str, errors: list[str]) -> None:
        self.where = where
        self.errors = errors
        super().__init__(f"{where}: " + "; ".join(errors))


@cache
def _spec() -> dict[str, Any]:
    with SPEC_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def spec() -> dict[str, Any]:
    """The whole document (a copy: callers may change it freely)."""
    return copy.deepcopy(_spec())


def path_templates() -> tuple[str, ...]:
    return tuple(_spec()["paths"])


def match_template(path: str) -> str | None:
    """The documented template of a concrete path: `…/orders/1-01/invoice` is `…/orders/{orderId}/invoice`."""
    for template in path_templates():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$"
        if re.match(pattern, path):
            return template
    return None


def _lookup(pointer: str) -> Any:
    node: Any = _spec()
    for part in pointer.removeprefix(_REF_PREFIX).split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _plain(node: Any, seen: tuple[str, ...] = ()) -> Any:
    """An OpenAPI 3.0 schema as draft 4: references inlined, `nullable: true` folded into the type."""
    if isinstance(node, list):
        return [_plain(item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith(_REF_PREFIX) or ref in seen:
            raise ValueError(f"unsupported or circular reference {ref}")
        return _plain(_lookup(ref), (*seen, ref))
    plain = {key: _plain(value, seen) for key, value in node.items() if key not in _DROPPED_KEYWORDS}
    if node.get("nullable") is True:
        kind = plain.get("type")
        if isinstance(kind, str):
            plain["type"] = [kind, "null"]
        if isinstance(plain.get("enum"), list) and None not in plain["enum"]:
            plain["enum"] = [*plain["enum"], None]
    return plain


def _operation(path_template: str, method: str) -> dict[str, Any]:
    try:
        operation: dict[str, Any] = _spec()["paths"][path_template][method.lower()]
    except KeyError:
        raise OpenApiViolation(f"{method.upper()} {path_template}", ["not documented"]) from None
    return operation


def _json_schema(content: dict[str, Any], where: str) -> dict[str, Any]:
    for media_type, entry in content.items():
        if media_type.split(";")[0].strip() == "application/json" and "schema" in entry:
            schema: dict[str, Any] = _plain(entry["schema"])
            return schema
    raise OpenApiViolation(where, ["no application/json schema documented"])


@cache
def _request_validator(path_template: str, method: str) -> Draft4Validator:
    where = f"{method.upper()} {path_template} request"
    body = _operation(path_template, method).get("requestBody")
    if not body:
        raise OpenApiViolation(where, ["no request body documented"])
    return Draft4Validator(_json_schema(body["content"], where))


@cache
def _response_validator(path_template: str, method: str, status: int) -> Draft4Validator:
    where = f"{method.upper()} {path_template} {status} response"
    responses = _operation(path_template, method).get("responses", {})
    answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    if answer is None:
        raise OpenApiViolation(where, ["status not documented"])
    return Draft4Validator(_json_schema(answer.get("content", {}), where))


def request_schema(path_template: str, method: str) -> dict[str, Any]:
    return dict(_request_validator(path_template, method.lower()).schema)


def response_schema(path_template: str, method: str, status: int) -> dict[str, Any]:
    return dict(_response_validator(path_template, method.lower(), status).schema)


def _errors(validator: Draft4Validator, body: Any) -> list[str]:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return ["the body is not JSON"]
    found = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}" for e in found]


def validate_request(path_template: str, method: str, body: Any) -> None:
    """Raise OpenApiViolation unless `body` (parsed, or JSON text) is a documented request body."""
    errors = _errors(_request_validator(path_template, method.lower()), body)
    if errors:
        raise OpenApiViolation(f"{method.upper()} {path_template} request", errors)


def validate_response(path_template: str, method: str, status: int, body: Any) -> None:
    """Raise OpenApiViolation unless `body` is what VTEX documents for this status of this operation."""
    errors = _errors(_response_validator(path_template, method.lower(), status), body)
    if errors:
        raise OpenApiViolation(f"{method.upper()} {path_template} {status} response", errors)
