"""Jobs that keep listings fresh: stale-listing chasing, quality-check expiry and reminders, purges."""

from __future__ import annotations
