"""Run the ORUK validator's steps against this app's own API, in-process, on live data."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask

from .validate import SelfTestResult, run_self_test

API_ROOT = "/api/oruk"


def run_on_app(app: Flask) -> SelfTestResult:
    """Fetch our own feed through a test client (no network) and check every answer against the schemas."""
    client = app.test_client()

    def fetch(path: str) -> tuple[int, Any]:
        response = client.get(API_ROOT + (path if path != "/" else "/"), headers={"Accept": "application/json"})
        try:
            body = json.loads(response.get_data(as_text=True))
        except ValueError:
            body = None
        status = response.status_code
        response.close()
        return status, body

    return run_self_test(fetch)
