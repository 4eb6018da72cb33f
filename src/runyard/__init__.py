"""runyard: a run ledger and lifecycle control plane for automations."""

__version__ = "0.1.0"
