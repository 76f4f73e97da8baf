"""What every admin action here shares: a refusal (403) for an action the user may not run, and the context of
the confirmation pages shown before an action changes anything."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin[Any]
else:
    _Base = object


class ActionPermissionMixin(_Base):
    """Refuse, with a 403, a posted action the user is not allowed to run.

    Django drops such an action from the list and answers the post with "No action selected": nothing happens,
    but nothing says why either. A post naming an action the user may not run is a forged or stale form, and
    deserves the same answer as any other forbidden request."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST":
            allowed = self.get_actions(request)
            if any(name and name not in allowed for name in request.POST.getlist("action")):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)


def confirmation_context(
    model_admin: ModelAdmin[Any], request: HttpRequest, *, title: str, action: str = "", **extra: Any
) -> dict[str, Any]:
    """The context of a confirmation page. With `action`, its form posts back to the changelist with the action,
    the selected ids and `post=yes`, and Django's action machinery calls the action again to do the work."""
    opts = model_admin.opts
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
        **extra,
    }
