"""Shared kernel: who acts, the clock, secrets at rest, the audit of console changes."""
