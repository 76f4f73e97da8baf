"""Celery beat's schedule actions (enable, disable, toggle, run now) need the permission to change schedules: a user
who may only view them is not offered them, and a posted action changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# django-celery-beat's own actions, named here as that package names them.
SCHEDULE_ACTIONS = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")
CHANGELIST = reverse("admin:django_celery_beat_periodictask_changelist")


def task() -> PeriodicTask:
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
    return PeriodicTask.objects.create(name="nightly sweep", task="invoices.tasks.relay", interval=every_minute)


def user_with(*codenames: str) -> Client:
    user = UserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="django_celery_beat", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def offered_actions(response: Any) -> set[str]:
    form = response.context["action_form"]  # None when the list offers no action at all
    return set() if form is None else {name for name, _ in form.fields["action"].choices}


def test_a_user_who_may_only_view_schedules_cannot_disable_one() -> None:
    scheduled = task()
    viewer = user_with("view_periodictask")

    listed = viewer.get(CHANGELIST)
    posted = viewer.post(CHANGELIST, {"action": "disable_tasks", "_selected_action": [scheduled.pk]})

    assert listed.status_code == 200
    assert offered_actions(listed).isdisjoint(SCHEDULE_ACTIONS)
    assert posted.status_code in (200, 302)
    scheduled.refresh_from_db()
    assert scheduled.enabled is True


def test_a_user_who_may_change_schedules_can_disable_one() -> None:
    scheduled = task()
    editor = user_with("view_periodictask", "change_periodictask")

    listed = editor.get(CHANGELIST)
    editor.post(CHANGELIST, {"action": "disable_tasks", "_selected_action": [scheduled.pk]})

    assert set(SCHEDULE_ACTIONS) <= offered_actions(listed)
    scheduled.refresh_from_db()
    assert scheduled.enabled is False
