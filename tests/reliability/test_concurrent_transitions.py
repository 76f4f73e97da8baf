"""Fifty conflicting status changes of one invoice at the same moment: through the services, through the v1 API and
through the generic API's mirror over real HTTP.

Every request either goes through or is refused with the documented conflict (an illegal move for the status the
invoice had by then, or a stale version); none fails otherwise (no 5xx, no deadlock or "database is locked"). What
went through is recorded exactly once and in order: the invoice's history is one chain of legal moves from its
first status to its current one, with one row per success, the version advanced once per success, and one outbox
delivery per change, carrying that change. Legality is judged here from the lifecycle table's data, independently
of the service's own check. Runs on PostgreSQL (row locks) and on SQLite (WAL, BEGIN IMMEDIATE) alike.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.db import connection, connections

from invoices.actors import Actor
from invoices.lifecycle import TRANSITIONS, IllegalTransition, label
from invoices.models import Delivery, Door, Invoice, StatusChange
from invoices.selectors import invoice_data
from invoices.services import StaleVersion, invoice_transition
from providers.base import Change, Operation
from providers.generic.payloads import update_body
from providers.generic.status import to_generic
from providers.jsonnumbers import dumps_compact
from providers.models import ProviderAccount
from tests.api.v1.helpers import generic_invoice
from tests.factories import ProviderAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 50
# Every legal move, read from the lifecycle table's data (the service's own check is not used to judge it).
LEGAL: frozenset[tuple[str, str]] = frozenset((src, dst) for src, targets in TRANSITIONS.items() for dst in targets)


@dataclass(frozen=True)
class Ask:
    """One caller's request: the status it wants, and whether it sends the version it read before the race (then
    it is refused as stale once anything changed)."""

    to_status: str
    with_version: bool = False


def plan() -> list[Ask]:
    """Fifty requests that conflict: half want it paid, others open, void, uncollectible, refunded, back to draft,
    a few only if nobody changed it first."""
    asks = (
        [Ask("paid")] * 23
        + [Ask("paid", with_version=True)] * 2
        + [Ask("open")] * 5
        + [Ask("open", with_version=True)]
        + [Ask("void")] * 5
        + [Ask("void", with_version=True)]
        + [Ask("uncollectible")] * 5
        + [Ask("refunded")] * 4
        + [Ask("draft")] * 4
    )
    assert len(asks) == THREADS
    return asks


@dataclass(frozen=True)
class Before:
    """The invoice as it was just before the race."""

    status: str
    version: int
    last_change_id: int
    last_delivery_id: int


def before_race(invoice_id: int) -> Before:
    invoice = Invoice.objects.get(pk=invoice_id)
    return Before(
        status=invoice.status,
        version=invoice.version,
        last_change_id=StatusChange.objects.filter(invoice_id=invoice_id)
        .order_by("-id")
        .values_list("id", flat=True)[0],
        last_delivery_id=Delivery.objects.filter(invoice_id=invoice_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0,
    )


def race(calls: list[Callable[[], Any]], *, open_db: bool) -> list[Any]:
    """Run every call in a thread of its own, released together by a barrier; returns each call's result, or the
    exception it raised. Each thread uses (and closes) its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            if open_db:
                connection.ensure_connection()  # connect before the barrier, so the requests meet at the row lock
            barrier.wait(timeout=60)
            results[index] = calls[index]()
        except BaseException as exc:  # every outcome, whatever it is, is judged by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,), name=f"caller-{i:02d}") for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not [t.name for t in threads if t.is_alive()], "a caller never returned"
    return results


def assert_one_legal_chain(invoice_id: int, before: Before, *, changed: int) -> list[StatusChange]:
    """The history is complete and ordered, every move legal, nothing lost or doubled; returns the race's changes."""
    invoice = Invoice.objects.get(pk=invoice_id)
    history = list(StatusChange.objects.filter(invoice_id=invoice_id).order_by("at", "id"))
    # Time order and insertion order agree: no change was recorded "in between" two others.
    assert [c.pk for c in history] == sorted(c.pk for c in history)
    # The whole history, from the creation row on, is one chain: each move starts where the previous one ended.
    assert history[0].from_status == ""
    assert [c.from_status for c in history[1:]] == [c.to_status for c in history[:-1]]
    assert history[-1].to_status == invoice.status
    assert [(c.from_status, c.to_status) for c in history[1:] if (c.from_status, c.to_status) not in LEGAL] == []

    changes = [c for c in history if c.pk > before.last_change_id]
    assert len(changes) == changed, [(c.from_status, c.to_status, c.reason) for c in changes]
    assert [c.from_status for c in changes[:1]] == ([before.status] if changed else [])
    # No lost update: one version step per change.
    assert invoice.version == before.version + changed
    # The outbox holds one delivery per change, carrying exactly that move, in the order of the changes.
    deliveries = Delivery.objects.filter(invoice_id=invoice_id, pk__gt=before.last_delivery_id).order_by("id")
    assert [(d.status_change_id, d.from_status, d.to_status) for d in deliveries] == [
        (c.pk, c.from_status, c.to_status) for c in changes
    ]
    return changes


def report(what: str, before: Before, changes: list[StatusChange], refusals: Counter[str]) -> None:
    """One line for `-s`: what the race came to."""
    chain = " → ".join([before.status, *(c.to_status for c in changes)])
    refused = ", ".join(f"{n} {kind}" for kind, n in sorted(refusals.items())) or "none"
    print(f"\n{what}: {THREADS} requests, {len(changes)} applied ({chain}), refused: {refused}")


def statuses_held(before: Before, changes: list[StatusChange]) -> set[str]:
    return {before.status, *(c.to_status for c in changes)}


def generic_account(**fields: Any) -> ProviderAccount:
    account = ProviderAccountFactory(kind="generic", **fields)
    assert isinstance(account, ProviderAccount)
    return account


def to_status(invoice: Invoice, *steps: str) -> Invoice:
    for step in steps:
        invoice_transition(invoice_id=invoice.pk, to_status=step, actor=Actor.system("setup"), door=Door.COMMAND)
    invoice.refresh_from_db()
    return invoice


# -- through the services ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path_to_start", [(), ("open",), ("open", "uncollectible")], ids=["draft", "open", "uncoll"])
def test_fifty_conflicting_transitions_through_the_services_leave_one_legal_history(
    path_to_start: tuple[str, ...],
) -> None:
    # given one invoice (its provider has no rules of its own: the lifecycle table alone decides)
    account = generic_account()
    invoice = to_status(generic_invoice(account), *path_to_start)
    before = before_race(invoice.pk)
    asks = plan()

    def caller(index: int, ask: Ask) -> Callable[[], str]:
        def call() -> str:
            invoice_transition(
                invoice_id=invoice.pk,
                to_status=ask.to_status,
                actor=Actor.system(f"caller-{index:02d}"),
                door=Door.COMMAND,
                reason=f"caller {index:02d} wants {ask.to_status}",
                expected_version=before.version if ask.with_version else None,
            )
            return "changed"

        return call

    # when fifty callers ask for their change at the same moment
    outcomes = race([caller(i, ask) for i, ask in enumerate(asks)], open_db=True)

    # then each was either applied or refused with the documented conflict, nothing else
    unexpected = [
        (i, repr(o))
        for i, o in enumerate(outcomes)
        if o != "changed" and not isinstance(o, IllegalTransition | StaleVersion)
    ]
    assert unexpected == []
    winners = [i for i, o in enumerate(outcomes) if o == "changed"]
    assert winners  # a first "open" or "void" always finds the invoice where it started

    # and the history records exactly the winners, once each, as one legal chain
    changes = assert_one_legal_chain(invoice.pk, before, changed=len(winners))
    refusals = Counter("illegal" if isinstance(o, IllegalTransition) else "stale" for o in outcomes if o != "changed")
    report(f"services, from {before.status}", before, changes, refusals)
    assert sorted(c.reason for c in changes) == sorted(f"caller {i:02d} wants {asks[i].to_status}" for i in winners)
    assert sorted(c.actor_label for c in changes) == sorted(f"caller-{i:02d}" for i in winners)

    # and every refusal was right when it was made
    held = statuses_held(before, changes)
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, IllegalTransition):
            assert outcome.to_status == asks[i].to_status
            assert outcome.from_status in held
            assert (outcome.from_status, outcome.to_status) not in LEGAL
        elif isinstance(outcome, StaleVersion):
            assert asks[i].with_version
            assert outcome.expected == before.version < outcome.current


# -- through the HTTP API -----------------------------------------------------------------------------------------
def api_account() -> ProviderAccount:
    # Paused: the mirror's deliveries stay queued instead of being tried within its budget (the race is the subject).
    return generic_account(paused=True)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    etag: str


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]  # not JSON (a server error page): shown by the failing assertion


def connected(base: str, token: str, invoice_id: int) -> requests.Session:
    """A client session whose connection to the server is already open (it has read the invoice): the race then
    starts at the requests themselves, not at fifty TCP handshakes queueing at the test server's small backlog."""
    session = requests.Session()
    response = session.get(
        f"{base}/api/v1/invoices/{invoice_id}/", headers={"Authorization": f"Token {token}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return session


def post_transition(
    session: requests.Session, base: str, token: str, invoice_id: int, index: int, ask: Ask, version: int
) -> Callable[[], Answer]:
    """A v1 transition request; a versioned one sends the version it read as If-Match or as the body's field."""

    def call() -> Answer:
        body: dict[str, Any] = {"to_status": ask.to_status, "reason": f"caller {index:02d} wants {ask.to_status}"}
        headers = {"Authorization": f"Token {token}"}
        if ask.with_version and index % 2:
            headers["If-Match"] = f'"{version}"'
        elif ask.with_version:
            body["version"] = version
        response = session.post(
            f"{base}/api/v1/invoices/{invoice_id}/transitions/", json=body, headers=headers, timeout=120
        )
        return Answer(response.status_code, body_of(response), response.headers.get("ETag", ""))

    return call


def put_mirror(session: requests.Session, base: str, token: str, body: dict[str, Any]) -> Callable[[], Answer]:
    """The generic API's UpdateInvoice, as its existing clients send it, through the back-office's mirror."""

    def call() -> Answer:
        response = session.put(
            f"{base}/api/generic/v1/Invoice/Update",
            data=dumps_compact(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=120,
        )
        return Answer(response.status_code, body_of(response), "")

    return call


def mirror_body(invoice: Invoice, status: str) -> dict[str, Any]:
    """The invoice as the generic API holds it (what our adapter sends), asking for `status`."""
    invoice = Invoice.objects.select_related("account").prefetch_related("lines", "orders").get(pk=invoice.pk)
    change = Change(operation=Operation.PUSH, idempotency_key="-", to_status=status)
    return update_body(invoice_data(invoice), change, invoice.account.effective_settings())


def classify_v1(answer: Answer, ask: Ask) -> str:
    """'changed' or the refusal's code; anything undocumented fails the test."""
    if answer.status == 200:
        assert answer.body["status"] == ask.to_status
        return "changed"
    error = answer.body["error"]
    assert set(error) == {"code", "message", "fields"}
    if answer.status == 409 and error["code"] == "illegal_transition":
        return "illegal"
    if ask.with_version and (answer.status, error["code"]) in ((409, "stale_version"), (412, "precondition_failed")):
        return "stale"
    raise AssertionError(f"undocumented answer {answer.status}: {answer.body}")


def assert_v1_answers(
    answers: dict[int, Answer],
    asks: list[Ask],
    changes: list[StatusChange],
    before: Before,
    *,
    all_changes: int,
    held: set[str],
) -> None:
    """Each v1 success is one of `changes` (found by its reason); each refusal named a status the invoice held."""
    winners = {i for i, a in answers.items() if a.status == 200}
    by_reason = {c.reason: c for c in changes}
    for i in winners:
        change = by_reason.pop(f"caller {i:02d} wants {asks[i].to_status}")
        assert change.door == Door.API
        assert change.to_status == asks[i].to_status
    assert by_reason == {}, "a change no v1 success accounts for"
    # Each success answered with its own version: none saw another's write as its own.
    versions = sorted(int(answers[i].etag.strip('"')) for i in winners)
    assert len(set(versions)) == len(versions)
    assert all(before.version < v <= before.version + all_changes for v in versions)
    for i, answer in answers.items():
        if answer.status == 409 and answer.body["error"]["code"] == "illegal_transition":
            # The message names the status the invoice had: one it really held, from which the move is illegal.
            origins = [
                s for s in held if f"from {label(s)} to {label(asks[i].to_status)}" in answer.body["error"]["message"]
            ]
            assert origins, answer.body
            assert all((s, asks[i].to_status) not in LEGAL for s in origins), answer.body


def test_fifty_concurrent_v1_transition_requests_leave_one_legal_history(
    live_server: Any, issue_api_client: Any
) -> None:
    # given one invoice and an operator client of its account, over real HTTP
    account = api_account()
    credentials = issue_api_client(account, role="operator", name="erp")
    invoice = generic_invoice(account)
    before = before_race(invoice.pk)
    asks = plan()

    # when fifty requests for conflicting moves arrive at the same moment
    base, token = live_server.url, credentials.token
    sessions = [connected(base, token, invoice.pk) for _ in asks]
    calls = [post_transition(sessions[i], base, token, invoice.pk, i, a, before.version) for i, a in enumerate(asks)]
    results = race(calls, open_db=False)
    for session in sessions:
        session.close()

    # then every answer is a success or the documented refusal: no 5xx, no lock or deadlock error
    failures = [(i, repr(r)) for i, r in enumerate(results) if not isinstance(r, Answer)]
    assert failures == [], failures
    answers: dict[int, Answer] = dict(enumerate(results))
    kinds = Counter(classify_v1(answers[i], asks[i]) for i in answers)
    assert kinds["changed"] >= 1

    # and the history holds exactly the successes, as one legal chain; one delivery each; no lost version
    changes = assert_one_legal_chain(invoice.pk, before, changed=kinds["changed"])
    report("v1 API", before, changes, Counter({k: n for k, n in kinds.items() if k != "changed"}))
    assert_v1_answers(answers, asks, changes, before, all_changes=len(changes), held=statuses_held(before, changes))


def test_fifty_concurrent_requests_through_the_v1_api_and_the_generic_mirror_leave_one_legal_history(
    live_server: Any, issue_api_client: Any
) -> None:
    # given an open invoice that the generic API's mirror already holds as its clients send it
    account = api_account()
    credentials = issue_api_client(account, role="operator", name="erp")
    invoice = to_status(generic_invoice(account), "open")
    base, token = live_server.url, credentials.token
    settling = put_mirror(requests.Session(), base, token, mirror_body(invoice, "open"))()
    assert (settling.status, settling.body["succeeded"]) in ((200, True), (202, True)), settling.body
    before = before_race(invoice.pk)
    words = {status: to_generic(status) for status in TRANSITIONS}

    # when thirty v1 requests and twenty mirror updates, each naming a status, arrive at the same moment
    asks = plan()
    v1_indexes = [i for i in range(THREADS) if i % 5 not in (1, 3)]
    mirror_indexes = [i for i in range(THREADS) if i % 5 in (1, 3)]
    sessions = [connected(base, token, invoice.pk) for _ in asks]
    calls: list[Callable[[], Any]] = []
    for i, ask in enumerate(asks):
        if i in mirror_indexes:
            calls.append(put_mirror(sessions[i], base, token, mirror_body(invoice, ask.to_status)))
        else:
            calls.append(post_transition(sessions[i], base, token, invoice.pk, i, ask, before.version))
    results = race(calls, open_db=False)
    for session in sessions:
        session.close()

    # then every answer is a success or the documented refusal of its API
    failures = [(i, repr(r)) for i, r in enumerate(results) if not isinstance(r, Answer)]
    assert failures == [], failures
    answers: dict[int, Answer] = dict(enumerate(results))
    v1 = Counter(classify_v1(answers[i], asks[i]) for i in v1_indexes)
    mirror_changes: dict[int, int] = {}  # caller -> the delivery its change queued
    already = 0
    for i in mirror_indexes:
        answer = answers[i]
        envelope = answer.body
        assert set(envelope) == {"succeeded", "message", "errors", "data"}, envelope
        if answer.status == 202:
            assert envelope["succeeded"] is True
            mirror_changes[i] = int(envelope["data"]["deliveryId"])
        elif answer.status == 200:
            # The invoice already had that status: nothing to change, nothing recorded.
            assert envelope["succeeded"] is True
            already += 1
        else:
            assert answer.status == 400, envelope
            assert envelope["succeeded"] is False
            assert [e.split(":")[0] for e in envelope["errors"]] == ["$.status"], envelope
            assert f"to {words[asks[i].to_status]} " in envelope["errors"][0], envelope

    # and the history holds exactly the changes answered as made, once each, as one legal chain
    changes = assert_one_legal_chain(invoice.pk, before, changed=v1["changed"] + len(mirror_changes))
    refused = Counter({f"v1 {k}": n for k, n in v1.items() if k != "changed"})
    refused["mirror illegal (400)"] = len(mirror_indexes) - len(mirror_changes) - already
    refused["mirror already so (200)"] = already
    report("v1 API + generic mirror", before, changes, +refused)
    assert v1["changed"] + len(mirror_changes) >= 1
    by_id = {c.pk: c for c in changes}
    for i, delivery_id in mirror_changes.items():
        change = by_id.pop(Delivery.objects.get(pk=delivery_id).status_change_id)  # type: ignore[arg-type]
        assert (change.to_status, change.door, change.actor_label) == (asks[i].to_status, Door.API, "api:erp")
    v1_answers = {i: answers[i] for i in v1_indexes}
    assert_v1_answers(
        v1_answers, asks, list(by_id.values()), before, all_changes=len(changes), held=statuses_held(before, changes)
    )
    # nothing but the status moved: the mirror's body matched what the invoice held
    assert Delivery.objects.filter(invoice=invoice, pk__gt=before.last_delivery_id, status_change=None).count() == 0
