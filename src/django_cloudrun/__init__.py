"""Production Django on Google Cloud Run, and the same topology on one machine."""

__version__ = "0.1.0"
