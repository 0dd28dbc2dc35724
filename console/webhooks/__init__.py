"""The webhook listener: delivery reports, intermediate reports and MO pushed to the console."""

from console.webhooks.listener import MO_PARAMS, PATHS, ReplyRule, WebhookHit, WebhookListener

__all__ = ["MO_PARAMS", "PATHS", "ReplyRule", "WebhookHit", "WebhookListener"]
