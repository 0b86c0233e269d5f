"""Fixtures for the referral tests: the shared ones in tests/conftest.py (``nojs_page`` among them) serve."""
