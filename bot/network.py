"""The HTTP clients that talk to Telegram: python-telegram-bot's own (HTTPXRequest, with its
defaults: a pool of 256 connections for calls, one for getUpdates), sharing ONE TLS context.

Left alone, each of the two clients builds its own context and reads the CA bundle again:
about 20 ms of every start-up (issue 13), for a context that is the same both times
(`httpx.create_ssl_context()`: certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR)."""

from __future__ import annotations

import httpx
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest


def with_shared_tls(builder: ApplicationBuilder) -> ApplicationBuilder:
    shared = {"verify": httpx.create_ssl_context()}
    return (builder.request(HTTPXRequest(connection_pool_size=256, httpx_kwargs=shared))
            .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=shared)))
