"""trails: signed osquery and Linux audit configuration, verified on every host."""

__version__ = "0.1.0"
