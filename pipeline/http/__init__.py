"""The HTTP service (SPEC §8)."""
