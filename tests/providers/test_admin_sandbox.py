"""The sandbox in the admin: fault settings editable by administrators, requests and objects read-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from providers.sandbox.models import SandboxFault, SandboxObject, SandboxRequest
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def administrator() -> Client:
    client = Client()
    client.force_login(UserFactory(role="administrator"))
    return client


def fault_data(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "rapyd",
        "latency_ms": "0",
        "error_rate": "0",
        "throttle_rate": "0",
        "retry_after_s": "1",
        "drop_rate": "0",
        "timeout_rate": "0",
        "timeout_s": "30",
        "malformed_rate": "0",
        "next_faults": "[]",
    }
    data.update(overrides)
    return data


def test_an_administrator_sets_the_faults_of_an_emulated_provider() -> None:
    client = administrator()

    added = client.post(reverse("admin:sandbox_sandboxfault_add"), fault_data(error_rate="0.25", down="on"))
    fault = SandboxFault.objects.get(kind="rapyd")
    assert (fault.error_rate, fault.down) == (0.25, True)
    changed = client.post(
        reverse("admin:sandbox_sandboxfault_change", args=[fault.pk]), fault_data(next_faults='["5xx", "ok"]')
    )

    assert (added.status_code, changed.status_code) == (302, 302)
    fault.refresh_from_db()
    assert (fault.error_rate, fault.down, fault.next_faults) == (0.0, False, ["5xx", "ok"])


def test_a_rate_above_one_is_refused() -> None:
    response = administrator().post(reverse("admin:sandbox_sandboxfault_add"), fault_data(drop_rate="1.5"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["drop_rate"]
    assert not SandboxFault.objects.exists()


def test_the_request_log_is_read_only_newest_first_and_searchable_by_effect() -> None:
    client = administrator()
    older = SandboxRequest.objects.create(kind="rapyd", method="POST", path="/v1/invoices", effect="created inv_1")
    newer = SandboxRequest.objects.create(kind="vtex", method="POST", path="/api/oms", status_code=429, fault="429")

    listing = client.get(reverse("admin:sandbox_sandboxrequest_changelist"))
    searched = client.get(reverse("admin:sandbox_sandboxrequest_changelist"), {"q": "inv_1"})
    filtered = client.get(reverse("admin:sandbox_sandboxrequest_changelist"), {"fault": "429"})
    edit = client.post(reverse("admin:sandbox_sandboxrequest_change", args=[older.pk]), {"effect": "rewritten"})

    assert [r.pk for r in listing.context["cl"].result_list] == [newer.pk, older.pk]
    assert [r.pk for r in searched.context["cl"].result_list] == [older.pk]
    assert [r.pk for r in filtered.context["cl"].result_list] == [newer.pk]
    assert edit.status_code == 403
    older.refresh_from_db()
    assert older.effect == "created inv_1"


def test_sandbox_objects_can_be_viewed_but_not_changed() -> None:
    client = administrator()
    obj = SandboxObject.objects.create(kind="rapyd", collection="invoices", key="inv_1", data={"status": "draft"})

    page = client.get(reverse("admin:sandbox_sandboxobject_change", args=[obj.pk]))
    edit = client.post(reverse("admin:sandbox_sandboxobject_change", args=[obj.pk]), {"key": "other"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert edit.status_code == 403
