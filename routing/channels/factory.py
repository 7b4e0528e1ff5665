"""Which channels exist, from the settings. A channel without its credentials (no bot token, no
gateway URL, no webhook secret) is left out: a message for it fails at once and is escalated,
rather than being sent unsigned or to nowhere."""

from __future__ import annotations

import httpx

from ioc.settings import RoutingSettings
from routing.channels.base import Channel
from routing.channels.log import LogChannel
from routing.channels.sms import SmsChannel
from routing.channels.smtp import SmtpChannel
from routing.channels.telegram import TelegramChannel
from routing.channels.webhook import WebhookChannel
from routing.channels.zalo import ZaloChannel
from routing.clock import Clock

CHANNEL_NAMES = ("email", "webhook", "telegram", "zalo", "sms")


def build_channels(settings: RoutingSettings, clock: Clock) -> dict[str, Channel]:
    if settings.delivery == "log":
        return {name: LogChannel(name) for name in CHANNEL_NAMES}
    client = httpx.Client(timeout=settings.http_timeout_s)
    channels: dict[str, Channel] = {
        "email": SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            timeout_s=settings.http_timeout_s,
        )
    }
    if settings.webhook_secret.get_secret_value():
        channels["webhook"] = WebhookChannel(
            client, settings.webhook_secret.get_secret_value().encode(), clock
        )
    if settings.telegram_token.get_secret_value():
        channels["telegram"] = TelegramChannel(
            client, settings.telegram_base_url, settings.telegram_token.get_secret_value()
        )
    if settings.zalo_access_token.get_secret_value():
        channels["zalo"] = ZaloChannel(
            client, settings.zalo_base_url, settings.zalo_access_token.get_secret_value()
        )
    if settings.sms_url:
        channels["sms"] = SmsChannel(
            client, settings.sms_url, settings.sms_token.get_secret_value(), settings.sms_sender
        )
    return channels
