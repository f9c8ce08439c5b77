"""Secrets at rest, signatures and tokens."""
