"""The HTTP service (SPEC §8). `app.create_app` builds it; each feature is a router module."""
