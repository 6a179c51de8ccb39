"""Accounts thanknote delivers through: the SMTP password, Microsoft sign-in (OAuth)."""
