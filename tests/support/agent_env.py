"""Fixtures for the store agent's tests: the ingest they talk to.

``ingest_url`` is the one place that decides which ingest the end-to-end
scenarios hit. Today it is :class:`support.fake_ingest.FakeIngest`, a contract
peer; set ``RTSTOCK_TEST_INGEST_URL`` (and ``RTSTOCK_TEST_INGEST_TOKEN``) to run
the scenarios that only need the URL against a real ``rtstock serve`` on
loopback. Scenarios that must stop the ingest or inspect what it applied use
``fake_ingest`` and skip under a real one until it has an equivalent control.
"""

from __future__ import annotations

import os

import pytest

from support.fake_ingest import FakeIngest

TOKEN = "test-token"


@pytest.fixture
def fake_ingest():
    peer = FakeIngest(tokens={TOKEN: "S01", "token-2": "S02"}).start()
    yield peer
    peer.down()


@pytest.fixture
def ingest_url(request) -> str:
    real = os.environ.get("RTSTOCK_TEST_INGEST_URL")
    if real:
        return real
    return request.getfixturevalue("fake_ingest").url


@pytest.fixture
def ingest_token() -> str:
    return os.environ.get("RTSTOCK_TEST_INGEST_TOKEN", TOKEN)
