"""Verifying releases. ``core`` is pure (bytes, trust, one reference time); the agent's
network, disk and install steps sit in their own modules around it."""
