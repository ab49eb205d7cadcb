"""A small LTI 1.3 platform for the tests: a Flask app on a real local port with its own
RSA key, a JWKS endpoint, the OIDC authorisation endpoint (answering with a self-posting
form, as learning platforms do), an OAuth 2 client-credentials token endpoint that checks
the tool's signed client assertion, a Names and Role Provisioning endpoint (two pages) and
Assignment and Grade Services line-items (list, create) and score endpoints. Everything it
receives is recorded.
"""

from __future__ import annotations

import functools
import html
import secrets
import threading
import time
from typing import Any

from flask import Flask, abort, jsonify, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

from simshop.services.lti import (
    AGS_CLAIM,
    CLAIM,
    DL_CLAIM,
    NRPS_CLAIM,
    SCOPE_LINEITEM,
    SCOPE_MEMBERSHIPS,
    SCOPE_SCORE,
)

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@functools.cache
def platform_key() -> RSAKey:
    """The platforms' signing key, generated once per process: a 2,048-bit RSA key takes
    0.05-0.5 s to generate, and a test that needs another key (a forger, a rotation) makes
    its own."""
    return RSAKey.generate_key(
        2048, parameters={"kid": "platform-key-1", "alg": "RS256"}, private=True
    )


class TestPlatform:
    """Start with ``TestPlatform()``; ``close()`` stops the server."""

    __test__ = False  # not a test class for pytest

    def __init__(self, client_id: str = "simshop-tool", deployment_id: str = "deployment-1"):
        self.key = platform_key()
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.context_id = "course-101"
        self.tool_keys: KeySet | None = None
        self.users: dict[str, dict[str, Any]] = {}  # login_hint -> what its launch says
        self.members: list[dict[str, Any]] = []
        self.tokens: dict[str, str] = {}  # access token -> granted scope
        self.token_requests: list[dict[str, Any]] = []
        self.roster_requests: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.score_requests: list[dict[str, Any]] = []
        self.deep_link_responses: list[dict[str, Any]] = []
        self.auth_requests: list[dict[str, str]] = []
        self.offer_lineitem = True
        """Launches name a grade column (``lineitem``); False: only the line-items service
        with the scope to create one."""
        self.lineitems: list[dict[str, Any]] = []  # the course's grade columns
        self.lineitem_requests: list[dict[str, Any]] = []
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # Polled every 20 ms for shutdown (default 0.5 s: up to half a second per test).
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ set-up helpers

    @property
    def issuer(self) -> str:
        return self.url

    def registration(self) -> dict[str, Any]:
        """What an administrator enters in SimShop for this platform."""
        return {
            "name": "Test LMS",
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.url + "/auth",
            "auth_token_url": self.url + "/token",
            "jwks_url": self.url + "/jwks",
            "deployment_ids": [self.deployment_id],
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ tokens

    def id_token(
        self,
        *,
        nonce: str,
        sub: str,
        roles: list[str],
        custom: dict[str, str] | None = None,
        message_type: str = "LtiResourceLinkRequest",
        name: str = "Lin Wei",
        target: str = "http://localhost/lti/launch",
        key: RSAKey | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": name,
            "email": f"{sub}@example.edu",
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": target,
            CLAIM + "roles": roles,
            CLAIM + "context": {"id": self.context_id, "title": "Cross-border e-commerce 101"},
        }
        if message_type == "LtiResourceLinkRequest":
            claims[CLAIM + "resource_link"] = {"id": "link-1", "title": "SimShop"}
            claims[CLAIM + "custom"] = custom or {}
            claims[AGS_CLAIM] = {
                "scope": [SCOPE_SCORE],
                "lineitem": f"{self.url}/ags/{self.context_id}/lineitems/1?type=simshop",
                "lineitems": f"{self.url}/ags/{self.context_id}/lineitems",
            }
            if not self.offer_lineitem:
                del claims[AGS_CLAIM]["lineitem"]
                claims[AGS_CLAIM]["scope"] = [SCOPE_LINEITEM, SCOPE_SCORE]
            claims[NRPS_CLAIM] = {
                "context_memberships_url": f"{self.url}/nrps/{self.context_id}",
                "service_versions": ["2.0"],
            }
        else:
            claims[DL_CLAIM + "deep_linking_settings"] = {
                "deep_link_return_url": self.url + "/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "data": "opaque-platform-data",
            }
        claims.update(overrides)
        signer = key or self.key
        return jwt.encode({"alg": "RS256", "kid": signer.kid or "platform-key-1"}, claims, signer)

    # ------------------------------------------------------------------ the app

    def _bearer_scope(self) -> str:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        if token not in self.tokens:
            abort(401)
        return self.tokens[token]

    def _build_app(self) -> Flask:
        app = Flask("test_platform")

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [self.key.as_dict(private=False)]})

        @app.get("/auth")
        def auth():
            args = request.args.to_dict()
            self.auth_requests.append(args)
            if (
                args.get("client_id") != self.client_id
                or args.get("response_type") != "id_token"
                or args.get("scope") != "openid"
                or args.get("response_mode") != "form_post"
                or args.get("login_hint") not in self.users
            ):
                abort(400)
            user = self.users[args["login_hint"]]
            token = self.id_token(nonce=args["nonce"], target=args["redirect_uri"], **user)
            action = html.escape(args["redirect_uri"])
            return (
                "<!doctype html><title>Test LMS</title><body>"
                f'<form method="post" action="{action}" id="launch-form">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(args["state"])}">'
                '<button type="submit" id="continue">Continue</button></form>'
                "<script>document.getElementById('launch-form').submit()</script></body>"
            )

        @app.post("/token")
        def token():
            form = request.form.to_dict()
            self.token_requests.append(form)
            assert self.tool_keys is not None, "give the platform the tool's keys first"
            claims = jwt.decode(
                form["client_assertion"], self.tool_keys, algorithms=["RS256"]
            ).claims
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_assertion_type")
                != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                or claims["iss"] != self.client_id
                or claims["sub"] != self.client_id
                or claims["aud"] != self.url + "/token"
                or claims["exp"] < time.time()
            ):
                abort(400)
            access = secrets.token_urlsafe(16)
            self.tokens[access] = form.get("scope", "")
            return jsonify(
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": form.get("scope", ""),
                }
            )

        @app.get("/nrps/<context_id>")
        def roster(context_id: str):
            scope = self._bearer_scope()
            self.roster_requests.append(
                {
                    "context": context_id,
                    "page": request.args.get("page", "1"),
                    "accept": request.headers.get("Accept"),
                    "scope": scope,
                }
            )
            if SCOPE_MEMBERSHIPS not in scope.split():
                abort(403)
            half = len(self.members) // 2
            if request.args.get("page") == "2":
                return jsonify({"id": request.url, "members": self.members[half:]})
            response = jsonify({"id": request.url, "members": self.members[:half]})
            response.headers["Link"] = f'<{self.url}/nrps/{context_id}?page=2>; rel="next"'
            return response

        @app.route("/ags/<context_id>/lineitems", methods=["GET", "POST"])
        def lineitems(context_id: str):
            scope = self._bearer_scope()
            self.lineitem_requests.append(
                {
                    "method": request.method,
                    "query": request.args.to_dict(),
                    "content_type": request.content_type,
                    "accept": request.headers.get("Accept"),
                    "scope": scope,
                }
            )
            if SCOPE_LINEITEM not in scope.split():
                abort(403)
            if request.method == "GET":
                wanted = request.args.get("resource_id")
                found = [i for i in self.lineitems if wanted in (None, i.get("resourceId"))]
                return jsonify(found)
            item = dict(request.get_json(force=True))
            item["id"] = f"{self.url}/ags/{context_id}/lineitems/{100 + len(self.lineitems)}"
            self.lineitems.append(item)
            response = jsonify(item)
            response.status_code = 201
            return response

        @app.post("/ags/<context_id>/lineitems/<int:item>/scores")
        def scores(context_id: str, item: int):
            scope = self._bearer_scope()
            self.score_requests.append(
                {"path": request.full_path, "content_type": request.content_type, "scope": scope}
            )
            if SCOPE_SCORE not in scope.split():
                abort(403)
            self.scores.append(request.get_json(force=True))
            return "", 204

        @app.get("/course")
        def course():
            """A course page showing the tool in a frame (``src``: a URL of the tool)."""
            src = html.escape(request.args["src"])
            return (
                "<!doctype html><title>Test LMS course</title><body><h1>Course 101</h1>"
                f'<iframe id="tool" src="{src}" width="1200" height="640"></iframe></body>'
            )

        @app.post("/deep-link-return")
        def deep_link_return():
            assert self.tool_keys is not None
            claims = jwt.decode(request.form["JWT"], self.tool_keys, algorithms=["RS256"]).claims
            self.deep_link_responses.append(dict(claims))
            return "<!doctype html><title>Test LMS</title><p id='added'>Added to the course</p>"

        return app
