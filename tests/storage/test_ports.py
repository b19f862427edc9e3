"""Every Protocol the domain talks to is implemented in full, with the same parameters, by the
storage adapters (a method the domain calls cannot exist only on the adapter or only on the port)."""

from __future__ import annotations

import inspect

import pytest

from yvy.alerts.ports import AlertStore, FeedStore, ServiceStore
from yvy.catalog.ports import CatalogStore, JobStore
from yvy.storage.alerts import SQLAlertStore
from yvy.storage.feeds import SQLFeedStore
from yvy.storage.store import Store


@pytest.mark.parametrize("port, adapter", [(CatalogStore, Store), (JobStore, Store), (ServiceStore, Store),
                                           (AlertStore, SQLAlertStore), (FeedStore, SQLFeedStore)])
def test_adapter_implements_the_whole_port(port, adapter):
    methods = [n for n, v in vars(port).items() if inspect.isfunction(v) and not n.startswith("_")]
    assert methods
    for name in methods:
        assert hasattr(adapter, name), f"{adapter.__name__} lacks {port.__name__}.{name}"
        want = list(inspect.signature(getattr(port, name)).parameters)
        got = list(inspect.signature(getattr(adapter, name)).parameters)
        assert got[:len(want)] == want, f"{adapter.__name__}.{name}{got} != {port.__name__}.{name}{want}"
