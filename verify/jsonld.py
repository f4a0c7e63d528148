"""JSON-LD from vendored contexts only: a pinned document loader and RDFC-1.0.

Every context a credential may name is a file under ``verify/contexts/``
whose SHA-256 is pinned here and checked when it is first loaded; any other
URL is refused, so nothing is ever fetched at run time. Canonicalisation is
pyld's URDNA2015, which W3C RDF Dataset Canonicalization (RDFC-1.0) adopted
unchanged, run in the "safe mode" the Data Integrity specification asks for:
a term that the contexts do not define, or a relative IRI, is an error
rather than a triple silently dropped from what is signed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from importlib import resources
from typing import Any

from pyld import jsonld

from verify.errors import MalformedInput

logger = logging.getLogger(__name__)

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

PINNED_CONTEXTS: dict[str, tuple[str, str]] = {
    CREDENTIALS_V2: (
        "credentials-v2.json",
        "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
    ),
    OB_V3P0: (
        "ob-v3p0-context-3.0.3.json",
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": (
        "ob-v3p0-extensions.json",
        "2d013f981d1f4516081a6a04e55468ba2b071d4153b794f19a79715c45a89a5e",
    ),
    "https://www.w3.org/ns/credentials/examples/v2": (
        "credentials-examples-v2.json",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    ),
    "https://w3id.org/citizenship/v4rc1": (
        "citizenship-v4rc1.json",
        "5038c7383afd7ab2158f1b997913a8f60978a0abcf96e0b0d08e29f146d2db1e",
    ),
}
"""Context URL to (file under verify/contexts/, SHA-256 of its bytes)."""


@functools.cache
def load_context(url: str) -> Any:
    """The parsed vendored context for ``url``, after checking its pinned hash."""
    try:
        name, pinned = PINNED_CONTEXTS[url]
    except KeyError:
        raise MalformedInput(
            f"JSON-LD context: {url} is not vendored; contexts are never fetched"
        ) from None
    data = resources.files("verify").joinpath(f"contexts/{name}").read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != pinned:
        raise MalformedInput(
            f"JSON-LD context: {name} has SHA-256 {actual}, expected {pinned}"
        )
    logger.debug("loaded vendored context %s from %s", url, name)
    return json.loads(data)


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """A pyld document loader that serves only the pinned vendored contexts."""
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url)}


def canonical_nquads(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document, in safe mode.

    1. Expand the document; a property that no context defines is an error.
    2. Every predicate, type and node id must be an absolute IRI or a blank
       node, since RDF drops relative ones without a word.
    3. Canonicalise the expanded form with URDNA2015 (= RDFC-1.0).
    """
    expanded = _expand(document)
    _check_absolute(expanded, "$")
    try:
        nquads: str = jsonld.normalize(
            expanded,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as exc:
        raise MalformedInput(f"JSON-LD: cannot canonicalise: {exc}") from exc
    return nquads


def _expand(document: dict[str, Any]) -> list[Any]:
    dropped: list[str] = []
    try:
        expanded: list[Any] = jsonld.expand(
            document,
            # no base IRI: pyld's default would quietly turn a relative IRI
            # into an absolute one under example.org
            {"documentLoader": document_loader, "base": None},
            on_property_dropped=dropped.append,
        )
    except jsonld.JsonLdError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, MalformedInput):
            raise cause from exc
        raise MalformedInput(f"JSON-LD: cannot expand: {exc}") from exc
    if dropped:
        raise MalformedInput(
            f"JSON-LD: property {dropped[0]!r} is not defined by the document's "
            "contexts and would not be signed"
        )
    return expanded


def _check_absolute(node: Any, where: str) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_absolute(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("@id", "@type"):
            for iri in value if isinstance(value, list) else [value]:
                if not _absolute(iri):
                    raise MalformedInput(
                        f"JSON-LD: {key} {iri!r} at {where} is not an absolute IRI"
                    )
        elif not key.startswith("@") and not _absolute(key):
            raise MalformedInput(
                f"JSON-LD: property {key!r} at {where} is not an absolute IRI"
            )
        if key not in ("@value", "@id", "@type"):
            _check_absolute(value, f"{where}.{key}")


def _absolute(iri: object) -> bool:
    if not isinstance(iri, str):
        return False
    if iri.startswith("_:") or iri == "@json":
        return True  # a blank node; a JSON literal's datatype
    scheme, colon, _ = iri.partition(":")
    return bool(colon) and scheme.isascii() and scheme[:1].isalpha()
