"""Keys and HTTP for LTI: the tool's own RSA key (signing JWTs), the platforms' published key
sets (:data:`platform_keys`, a short-lived JWKS cache), one HTTP request to a platform, and the
OAuth 2 access token the tool's service calls carry (:func:`access_token`).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from simshop.config import create_once
from simshop.models import LtiPlatform
from simshop.services.lti_protocol import (
    LtiError,
)

HTTP_TIMEOUT_SECONDS = 10
JWKS_CACHE_SECONDS = 300
PRIVATE_KEY_FILENAME = "lti_private_key.pem"


# --------------------------------------------------------------------------- the tool's key


@functools.cache
def tool_key(path: str) -> RSAKey:
    """The tool's RSA key pair in the PEM file ``path`` (``instance/lti_private_key.pem``),
    generated on first use (mode 0600; never in the repository). Its ``kid`` is its RFC 7638
    thumbprint."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    pem = create_once(path, RSAKey.generate_key(2048, private=True).as_pem(private=True))
    key = RSAKey.import_key(pem)
    return RSAKey.import_key(
        pem, parameters={"kid": key.thumbprint(), "alg": "RS256", "use": "sig"}
    )


def tool_jwks(key: RSAKey) -> dict[str, Any]:
    """The public half, as the JWK set the platform fetches."""
    return {"keys": [key.as_dict(private=False)]}


def _sign(claims: dict[str, Any], key: RSAKey) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


# --------------------------------------------------------------------------- HTTP


def _http(
    method: str, url: str, *, headers: dict[str, str], body: bytes | None = None
) -> tuple[dict[str, str], Any]:
    """One request to a platform: (headers, decoded JSON body). Errors become LtiError."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        exc.close()  # an HTTPError holds the open response: close its socket now
        raise LtiError("service_refused", url=url, status=exc.code) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise LtiError("service_unavailable", url=url) from None
    try:
        return answer_headers, json.loads(raw) if raw else None
    except ValueError:
        raise LtiError("service_bad_answer", url=url) from None


class PlatformKeys:
    """The platforms' JWK sets, fetched on demand and kept for a few minutes; an unknown
    ``kid`` fetches the set again once (the platform may have rotated its keys)."""

    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def key_set(self, jwks_url: str, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._sets.get(jwks_url)
        if cached is not None and not refresh and time.monotonic() - cached[0] < JWKS_CACHE_SECONDS:
            return cached[1]
        try:
            _headers, document = _http("GET", jwks_url, headers={"Accept": "application/json"})
            key_set = KeySet.import_key_set(document)
        except LtiError:
            raise LtiError("jwks_unavailable", url=jwks_url) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise LtiError("jwks_unavailable", url=jwks_url) from None
        with self._lock:
            self._sets[jwks_url] = (time.monotonic(), key_set)
        return key_set

    def forget(self, jwks_url: str) -> None:
        with self._lock:
            self._sets.pop(jwks_url, None)


platform_keys = PlatformKeys()


def access_token(platform: LtiPlatform, scopes: list[str], key: RSAKey) -> str:
    """An OAuth 2 access token from the platform (client credentials with a signed JWT
    client assertion, RFC 7523)."""
    now = int(time.time())
    assertion = _sign(
        {
            "iss": platform.client_id,
            "sub": platform.client_id,
            "aud": platform.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        },
        key,
    )
    body = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
    ).encode()
    _headers, answer = _http(
        "POST",
        platform.auth_token_url,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body=body,
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise LtiError("service_bad_answer", url=platform.auth_token_url)
    return token
