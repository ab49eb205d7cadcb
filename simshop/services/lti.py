"""SimShop as an LTI 1.3 tool (1EdTech LTI Core 1.3, Security Framework 1.0, Deep Linking
2.0, Names and Role Provisioning Services 2.0, Assignment and Grade Services 2.0).

The flow (OIDC third-party initiated login):

1. The platform sends the browser to ``/lti/login`` (``iss``, ``login_hint``,
   ``target_link_uri``, ``lti_message_hint``, optionally ``client_id`` and
   ``lti_deployment_id``). :func:`begin_login` stores a fresh ``state`` and ``nonce`` and
   answers with the platform's authorisation URL (the view also puts ``state`` in a cookie, so
   the launch is bound to this browser).
2. The platform posts a signed ``id_token`` and the ``state`` to ``/lti/launch``.
   :func:`validate_launch` claims the state (single use: a replay finds it used), checks the
   token's signature with the platform's published keys (JWKS, by ``kid``, RS256 only) and
   every claim the specification requires: ``iss``, ``aud`` (and ``azp`` when there are
   several audiences), ``exp``/``iat``, ``nonce`` (the one stored with this state, so it is
   single-use too), the deployment id, the message type and the LTI version.
3. :func:`complete_launch` links the platform user (``sub``) to a SimShop account and, for a
   resource link, lands them in the game named by the link's custom parameter
   ``simshop_game_id`` (enrolling a learner; an instructor must be staff of the game). A deep
   linking request lets an instructor pick a game; :func:`deep_link_response` signs the
   answer with the tool's key.

Services (the tool calls the platform, with an OAuth 2 client-credentials token obtained with
a JWT signed by the tool's key, :func:`access_token`): :func:`sync_roster` (NRPS) enrols the
course's learners into the linked game; :func:`post_grades` (AGS) sends ``user id -> grade
0..100`` to the link's grade column. The CSV gradebook remains the fallback.

The JOSE work (JWS signatures, JWK sets) is done by ``joserfc``; the LTI rules are here,
because PyLTI1p3 (last release 2022) is unmaintained and not in this project's index.

Where each part lives (this module is their public face: callers use ``lti.<name>``):
``lti_protocol`` (claim names, scopes, roles, :class:`LtiError`), ``lti_keys`` (the tool's key,
the platforms' key sets, HTTP, :func:`access_token`), ``lti_platforms`` (registrations),
``lti_launch`` (login, launch validation, hand-off), ``lti_landing`` (accounts, course links,
enrolment, deep linking answer) and ``lti_services`` (NRPS roster sync, AGS grades).
"""

from __future__ import annotations

from simshop.services.lti_keys import (
    HTTP_TIMEOUT_SECONDS,
    JWKS_CACHE_SECONDS,
    PRIVATE_KEY_FILENAME,
    PlatformKeys,
    access_token,
    platform_keys,
    tool_jwks,
    tool_key,
)
from simshop.services.lti_landing import Landing, complete_launch, deep_link_response
from simshop.services.lti_launch import (
    CLOCK_SKEW_SECONDS,
    MAX_TOKEN_AGE_SECONDS,
    STATE_LIFETIME,
    LaunchMessage,
    begin_login,
    hand_off,
    validate_launch,
)
from simshop.services.lti_platforms import (
    LOOPBACK_HOSTS,
    MAX_URL_LENGTH,
    frame_origins,
    platform_by_id,
    platforms,
    register_platform,
    set_platform_enabled,
    update_platform,
)
from simshop.services.lti_protocol import (
    AGS_CLAIM,
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    GAME_PARAMETER,
    INSTRUCTOR_ROLES,
    LINEITEM_TYPE,
    LINEITEMS_TYPE,
    LTI_VERSION,
    NRPS_CLAIM,
    RESOURCE_LINK,
    SCOPE_LINEITEM,
    SCOPE_MEMBERSHIPS,
    SCOPE_SCORE,
    LtiError,
    is_instructor_role,
)
from simshop.services.lti_services import (
    GradePassback,
    RosterSync,
    can_create_grade_column,
    ensure_grade_column,
    link_of,
    links_of,
    post_grades,
    published_grades,
    sync_roster,
)

__all__ = [
    "LTI_VERSION",
    "CLAIM",
    "DL_CLAIM",
    "AGS_CLAIM",
    "NRPS_CLAIM",
    "RESOURCE_LINK",
    "DEEP_LINKING",
    "SCOPE_SCORE",
    "SCOPE_LINEITEM",
    "LINEITEM_TYPE",
    "LINEITEMS_TYPE",
    "SCOPE_MEMBERSHIPS",
    "GAME_PARAMETER",
    "INSTRUCTOR_ROLES",
    "is_instructor_role",
    "LtiError",
    "HTTP_TIMEOUT_SECONDS",
    "JWKS_CACHE_SECONDS",
    "PRIVATE_KEY_FILENAME",
    "tool_key",
    "tool_jwks",
    "PlatformKeys",
    "platform_keys",
    "access_token",
    "LOOPBACK_HOSTS",
    "MAX_URL_LENGTH",
    "register_platform",
    "update_platform",
    "set_platform_enabled",
    "platforms",
    "platform_by_id",
    "frame_origins",
    "STATE_LIFETIME",
    "CLOCK_SKEW_SECONDS",
    "MAX_TOKEN_AGE_SECONDS",
    "begin_login",
    "LaunchMessage",
    "validate_launch",
    "hand_off",
    "Landing",
    "complete_launch",
    "deep_link_response",
    "links_of",
    "link_of",
    "RosterSync",
    "sync_roster",
    "published_grades",
    "can_create_grade_column",
    "ensure_grade_column",
    "GradePassback",
    "post_grades",
]
