"""Jobs that follow referrals: reminders, escalation, expiry, retention purge."""

from __future__ import annotations
