"""The product's own refusal, for requests the service cannot serve."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service cannot serve, with a reason for the person asking."""
