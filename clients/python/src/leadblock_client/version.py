"""The version of leadblock-client: read by its packaging (pyproject.toml) and sent in the
User-Agent of every request."""

VERSION = "0.1.0"
