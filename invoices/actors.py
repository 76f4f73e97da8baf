"""Who made a change: a staff user, an API client, or the system itself (a task, a provider webhook)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .models import ActorType

if TYPE_CHECKING:
    from .models import ApiClient


@dataclass(frozen=True)
class Actor:
    type: str
    label: str
    user: Any = None  # a django.contrib.auth user
    client: ApiClient | None = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(type=ActorType.USER, label=user.get_username(), user=user)

    @classmethod
    def for_client(cls, client: ApiClient) -> Actor:
        return cls(type=ActorType.API_CLIENT, label=f"api:{client.name}", client=client)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(type=ActorType.SYSTEM, label=label)
