"""Celery beat's schedules: their actions need the permission to change them.

django-celery-beat's own actions (enable, disable, toggle, run now) declare no permission, so Django offers them to
anyone who may only view the schedules. They change the schedules or start a task at once: here they are offered
only to those who may change periodic tasks (superusers today: no role includes Celery beat).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

SCHEDULE_ACTIONS = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")


class GuardedPeriodicTaskAdmin(PeriodicTaskAdmin):
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in SCHEDULE_ACTIONS:
                actions.pop(name, None)
        return actions


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, GuardedPeriodicTaskAdmin)
