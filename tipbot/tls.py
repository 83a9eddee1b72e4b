"""The TLS context of PTB's connection pools, loaded on another thread while start-up imports.

Loading the CA bundle into a context (`load_verify_locations`, certifi's bundle or
SSL_CERT_FILE, as httpx does it) takes 35-40 ms of OpenSSL work, and CPython releases the GIL
for it. `tipbot run` starts it before importing the rest of the bot (about half a second of
Python), so a second core does it meanwhile; the context is still loaded before the first
request, since building the Application waits for it (bench/RESULTS.md, issue 14).
"""

from __future__ import annotations

import ssl
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

_ahead: Future[ssl.SSLContext] | None = None


def load_ahead() -> None:
    """Start loading the context on a thread; `context()` hands it over."""
    global _ahead
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tipbot-tls")
    _ahead = executor.submit(httpx.create_ssl_context)
    executor.shutdown(wait=False)  # the thread ends once the context is loaded


def context() -> ssl.SSLContext:
    """The context `load_ahead` started (once; its error, if loading failed), or one made now,
    exactly as httpx makes it."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        return ahead.result()
    return httpx.create_ssl_context()
