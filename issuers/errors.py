"""Errors of the issuer registry and key store.

::

    IssuerError
    ├── KeyStoreError     a private key or secret cannot be created or loaded
    └── RegistryError     a registration or key change that is refused
        └── NotRegistered an issuer or key the registry does not have
"""

from __future__ import annotations


class IssuerError(Exception):
    """Root of every issuer error."""


class KeyStoreError(IssuerError):
    """A key file that is missing, undecryptable or in the way."""


class RegistryError(IssuerError):
    """An issuer or key change the registry refuses."""


class NotRegistered(RegistryError):
    """An issuer or key that is not in the registry."""
