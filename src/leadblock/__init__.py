"""leadblock: the workspace "do not contact" service for LinkedIn outreach."""

__version__ = "0.1.0"
