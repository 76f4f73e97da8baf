"""The validator over VTEX's OpenAPI of the invoice paths (no network)."""

from __future__ import annotations

import pytest

from providers.vtex import openapi
from providers.vtex.openapi import OpenApiViolation

INVOICE = "/api/oms/pvt/orders/{orderId}/invoice"
INVOICE_NUMBER = f"{INVOICE}/{{invoiceNumber}}"
TRACKING = f"{INVOICE_NUMBER}/tracking"
OPERATIONS = [(INVOICE, "post"), (INVOICE_NUMBER, "patch"), (TRACKING, "put")]


def documented(template: str, method: str, where: str = "request") -> dict:
    operation = openapi.spec()["paths"][template][method]
    if where == "request":
        return operation["requestBody"]["content"]["application/json"]["example"]
    [content] = operation["responses"]["200"]["content"].values()
    return content["example"]


@pytest.mark.parametrize(("template", "method"), OPERATIONS)
def test_vtexs_own_examples_are_valid(template, method):
    openapi.validate_request(template, method, documented(template, method))
    openapi.validate_response(template, method, 200, documented(template, method, "response"))


def test_a_missing_required_field_is_a_violation_naming_it():
    body = documented(INVOICE, "post")
    del body["invoiceValue"]

    with pytest.raises(OpenApiViolation, match="'invoiceValue' is a required property"):
        openapi.validate_request(INVOICE, "post", body)


def test_money_in_the_wrong_json_type_is_a_violation():
    body = {**documented(INVOICE, "post"), "invoiceValue": 2499}
    body["items"] = [{"id": "123", "price": "24.99", "quantity": 2}]

    with pytest.raises(OpenApiViolation) as violation:
        openapi.validate_request(INVOICE, "post", body)

    assert violation.value.errors == [
        "invoiceValue: 2499 is not of type 'string'",
        "items/0/price: '24.99' is not of type 'integer'",
    ]


def test_nullable_fields_accept_null_and_the_others_do_not():
    openapi.validate_request(
        INVOICE_NUMBER,
        "patch",
        {"trackingNumber": "1", "trackingUrl": None, "courier": None, "dispatchedDate": None},
    )
    with pytest.raises(OpenApiViolation, match="trackingNumber: None is not of type 'string'"):
        openapi.validate_request(
            INVOICE_NUMBER,
            "patch",
            {"trackingNumber": None, "trackingUrl": None, "courier": None, "dispatchedDate": None},
        )
    with pytest.raises(OpenApiViolation, match="courier: None is not of type 'string'"):
        openapi.validate_request(INVOICE, "post", {**documented(INVOICE, "post"), "courier": None})


def test_references_into_components_are_followed():
    schema = openapi.request_schema(TRACKING, "put")

    assert schema["properties"]["events"]["items"]["required"] == ["city", "state", "description", "date"]
    with pytest.raises(OpenApiViolation, match="events/0: 'date' is a required property"):
        openapi.validate_request(
            TRACKING,
            "put",
            {
                "isDelivered": False,
                "deliveredDate": None,
                "events": [{"city": "Rio", "state": "RJ", "description": "x"}],
            },
        )


def test_a_response_without_its_required_receipt_is_a_violation():
    with pytest.raises(OpenApiViolation, match="'receipt' is a required property"):
        openapi.validate_response(INVOICE_NUMBER, "patch", 200, {"date": "d", "orderId": "o"})


def test_json_text_is_validated_like_parsed_json():
    openapi.validate_response(INVOICE, "post", 200, '{"date":"d","orderId":"o","receipt":"r"}')
    with pytest.raises(OpenApiViolation, match="the body is not JSON"):
        openapi.validate_response(INVOICE, "post", 200, "<html>")


def test_what_vtex_does_not_document_is_a_violation():
    with pytest.raises(OpenApiViolation, match="not documented"):
        openapi.validate_request(INVOICE, "delete", {})
    with pytest.raises(OpenApiViolation, match="status not documented"):
        openapi.validate_response(INVOICE, "post", 418, {})


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/oms/pvt/orders/1172452900788-01/invoice", INVOICE),
        ("/api/oms/pvt/orders/1172452900788-01/invoice/000030711", INVOICE_NUMBER),
        ("/api/oms/pvt/orders/1172452900788-01/invoice/000030711/tracking", TRACKING),
        ("/api/oms/pvt/orders/1172452900788-01", None),
    ],
)
def test_a_concrete_path_is_matched_to_its_documented_template(path, template):
    assert openapi.match_template(path) == template
