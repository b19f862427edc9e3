"""Former module of the feed store, kept for imports; see :mod:`yvy.storage.feeds`."""

from .feeds import Delivery, SQLFeedStore, SQLiteFeedStore, Webhook

__all__ = ["Delivery", "SQLFeedStore", "SQLiteFeedStore", "Webhook"]
