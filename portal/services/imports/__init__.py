"""Bulk onboarding from a CSV file: reading, checking, previewing and applying it."""
