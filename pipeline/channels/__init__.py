"""The channel registry: adding a channel is one module and one line here."""
from __future__ import annotations

from pipeline.channels import (
    cancellation,
    esp_events,
    phone,
    postal_mail,
    preference_center,
    support_inbox,
    unsubscribe_link,
)
from pipeline.core.errors import OptoutError
from pipeline.intake.channel import Channel

REGISTRY: dict[str, Channel] = {
    c.name: c
    for c in (
        phone.CHANNEL,
        cancellation.CHANNEL,
        preference_center.CHANNEL,
        postal_mail.CHANNEL,
        support_inbox.CHANNEL,
        esp_events.CHANNEL,
        unsubscribe_link.CHANNEL,
    )
}


def channel(name: str) -> Channel:
    try:
        return REGISTRY[name]
    except KeyError:
        raise OptoutError(f"unknown channel {name!r} (known: {', '.join(REGISTRY)})") from None
