"""Admin forms. They validate what a form can see; the services have the last word, and their refusals come
back here as errors on the field they concern (see `ServiceRefusal`)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from invoices.lifecycle import InvoiceStatus
from invoices.models import Invoice, InvoiceLine
from invoices.services import EDITABLE_FIELDS, StaleVersion
from providers.base import ProviderRuleError

from .display import status_label

UNKNOWN_CURRENCY = "Unknown currency %(value)s: use an ISO 4217 code such as EUR, USD or JPY."


class ServiceRefusal(Exception):
    """A service refused a write the forms had accepted (a provider rule, the discount against the lines'
    subtotal, a concurrent edit): carries the reasons, each with the form field it concerns (None: the whole
    form)."""

    def __init__(self, errors: Sequence[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in errors))
        self.errors = list(errors)

    @classmethod
    def from_exception(cls, exc: ValidationError | ProviderRuleError | StaleVersion) -> ServiceRefusal:
        if isinstance(exc, ProviderRuleError):
            return cls([(None, f"The invoice's provider would refuse this change: {exc}")])
        if isinstance(exc, StaleVersion):
            return cls([(None, f"{exc} Reload the page to see their change, then make yours again.")])
        if hasattr(exc, "error_dict"):
            return cls(
                [
                    (None if field == NON_FIELD_ERRORS else field, message)
                    for field, messages in exc.message_dict.items()
                    for message in messages
                ]
            )
        return cls([(None, message) for message in exc.messages])


class InvoiceForm(forms.ModelForm):
    # The version the page was loaded at: a save over someone else's newer change is refused, never merged.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    tracking_url = forms.URLField(max_length=500, required=False, assume_scheme="https")
    # Set (on a per-request subclass) when the service refused the previous attempt to save these same values.
    service_refusal: ClassVar[ServiceRefusal | None] = None

    class Meta:
        model = Invoice
        fields = ("number", "account", *sorted(EDITABLE_FIELDS))
        error_messages = {"currency": {"invalid_choice": UNKNOWN_CURRENCY}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "expected_version" in self.fields and self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        for field, message in self.service_refusal.errors if self.service_refusal else ():
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class InvoiceLineForm(forms.ModelForm):
    class Meta:
        model = InvoiceLine
        fields = ("sku", "description", "quantity", "unit_price", "tax_rate")

    def clean_quantity(self) -> Decimal:
        quantity: Decimal = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise ValidationError("The quantity must be greater than zero.")
        return quantity

    def clean_unit_price(self) -> Decimal:
        price: Decimal = self.cleaned_data["unit_price"]
        if price < 0:
            raise ValidationError("The unit price cannot be negative (use a return invoice for money going back).")
        return price


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(label="New status")
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Required. Kept in each invoice's history with your name.",
        error_messages={"required": "Say why: the reason is kept in each invoice's history."},
    )

    def __init__(self, *args: Any, targets: Sequence[str], fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_status"]
        assert isinstance(field, forms.ChoiceField)  # for the type checker: declared just above
        field.choices = [(status, status_label(status)) for status in targets]
        if fixed:
            field.widget = forms.HiddenInput()
            field.initial = targets[0] if targets else None

    @staticmethod
    def ordered(targets: Sequence[str] | frozenset[str]) -> list[str]:
        """Targets in lifecycle order, so that the choices read the same way on every page."""
        return [status for status in InvoiceStatus.values if status in targets]
