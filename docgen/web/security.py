"""The desk's security rules, in one place: who may use it, from where, and what every
response carries."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from docgen.limits import MAX_APPOINTMENTS_BYTES
from docgen.web.common import _, error_page
from docgen.web.state import Desk

TOKEN_COOKIE = "docgen_token"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

log = logging.getLogger("docgen.web")


def register(app: Flask, desk: Desk) -> None:
    """Rules every request passes: the access token, this computer's address only, security
    headers, and error pages that never echo what was sent. CSRF is checked on every form
    (create_app installs it after the routes)."""

    @app.before_request
    def require_token():
        if desk.token is None or request.endpoint == "static":
            return None
        given = request.args.get("token")
        if given is not None and _same(given, desk.token):
            response = redirect(request.path)
            response.set_cookie(TOKEN_COOKIE, desk.token, httponly=True, samesite="Strict")
            return response
        if _same(request.cookies.get(TOKEN_COOKIE, ""), desk.token):
            return None
        return error_page(403, _("This page needs the access link printed when docgen started."))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_page(
            400,
            _(
                "This form was not sent by this page (or the page had been open since docgen "
                "restarted). Nothing was made. Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(413)
    def too_large(error):
        # Werkzeug answers 413 to a small form of too many fields as well as to a large file
        if (request.content_length or 0) <= (request.max_content_length or 0):
            parts = request.max_form_parts
            message = _("The form has far too many fields (at most %(limit)s). Nothing was made.",
                        limit=parts)  # fmt: skip
            return error_page(413, message)
        limit = MAX_APPOINTMENTS_BYTES // 1_000_000
        message = _("The file is too large: at most %(limit)s MB. Nothing was made.", limit=limit)
        return error_page(413, message)

    @app.before_request
    def only_this_computer():
        # On this computer only: answer only to its own names, so that a web page whose name
        # was made to point at 127.0.0.1 (DNS rebinding) cannot read or use the desk. (Flask's
        # TRUSTED_HOSTS cannot name [::1], and the server may listen on 127.0.0.2.)
        if desk.token is None and not is_loopback(urlsplit(f"//{request.host}").hostname or ""):
            raise SecurityError("not this computer's address")

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # no URLs can be built for a host this server does not answer to: plain text only
        message = "docgen answers only at this computer's own address, such as 127.0.0.1."
        return Response(message, 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_page(error.code or 500, error.description or "")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # only the kind of error: its message may hold a patient's name or date of birth
        log.error("request to %s failed: %s", request.endpoint, type(error).__name__)
        return error_page(
            500,
            _(
                "Something went wrong and nothing was made. The server is still running: go "
                "back and try again."
            ),
        )


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this computer's own: localhost or a loopback address
    (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _same(given: str, token: str) -> bool:
    return secrets.compare_digest(given.encode(), token.encode())
