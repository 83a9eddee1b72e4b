"""tipbot/tls.py: the context loaded ahead is the one httpx would make, handed over once."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from tipbot import tls


def test_the_context_loaded_ahead_is_handed_over_once() -> None:
    tls.load_ahead()
    ahead = tls.context()
    assert ahead.verify_mode is ssl.CERT_REQUIRED and ahead.check_hostname
    expected = httpx.create_ssl_context().cert_store_stats()
    assert ahead.cert_store_stats() == expected and expected["x509_ca"] > 0
    again = tls.context()  # nothing loading ahead any more: made now, the same way
    assert again is not ahead and again.cert_store_stats() == expected


def test_a_bundle_that_cannot_be_loaded_fails_where_the_context_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    tls.load_ahead()
    with pytest.raises(OSError):
        tls.context()
