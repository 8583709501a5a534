"""Run the desk page with waitress (a production WSGI server that also runs on Windows), with
one LibreOffice kept warm for PDFs, until Ctrl-C stops both."""

from __future__ import annotations

import secrets
import signal
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from waitress.server import BaseWSGIServer, create_server

from docgen.pdf import warm_libreoffice
from docgen.web import create_app, is_loopback
from docgen.web.state import SERVER_THREADS
from docgen.workspace import Workspace


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


ANY_ADDRESS = ("0.0.0.0", "::", "")


def _address_for_others(host: str) -> str:
    """The address other computers reach this one at, for a server listening on all of its
    addresses (0.0.0.0 is not one they can open); else the host as given. For '::' an IPv6
    address: waitress then listens on IPv6 only."""
    if host not in ANY_ADDRESS:
        return host
    family, documentation_address = (
        (socket.AF_INET6, "2001:db8::1") if host == "::" else (socket.AF_INET, "192.0.2.1")
    )
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect((documentation_address, 9))  # a UDP connect sends nothing: it picks a route
        return probe.getsockname()[0]
    except OSError:  # no network route: the computer's name may still be known to others
        return socket.gethostname()
    finally:
        probe.close()


def desk_server(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """The waitress server of the desk app, not yet running: threads enough to answer pages
    while the desk makes documents in as many as it may (Desk.document_turn)."""
    return create_server(
        app, host=host, port=port, threads=SERVER_THREADS, ident="docgen",
        # refused as it arrives, not after buffering up to waitress's default of 1 GB
        max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
    )  # fmt: skip


def serve(
    workspace: Workspace,
    output_dir: str | Path = ".",
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the desk page until interrupted. Beyond this computer (a host that is not
    loopback), every request must carry an access token, announced in the URL."""
    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    app = create_app(workspace, output_dir, token=token)
    with warm_libreoffice() as warm:
        server = desk_server(app, host, port)
        shown_host = _address_for_others(host)
        shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host
        url = f"http://{shown_host}:{server.effective_port}/"
        announce(f"docgen desk: {url + (f'?token={token}' if token else '')}")
        if token:
            announce("Anyone with this link can make documents: share it only with the desk.")
        announce(
            "PDFs: LibreOffice kept running"
            if warm
            else "PDFs: LibreOffice starts for each request (or .docx only without LibreOffice)"
        )
        # Ctrl-C, and `kill`, stop it cleanly, even when started where SIGINT is ignored (a
        # background job of a script), and from the moment it says so
        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
            signal.SIGTERM: signal.signal(signal.SIGTERM, _interrupt),
        }
        try:
            announce("Press Ctrl-C to stop.")
            if open_browser:
                loopback = "[::1]" if host == "::" else "127.0.0.1"
                here = f"http://{loopback}:{server.effective_port}/" if host in ANY_ADDRESS else url
                opened = here + (f"?token={token}" if token else "")
                threading.Timer(0.5, webbrowser.open, args=(opened,)).start()
            server.run()  # returns on Ctrl-C: waitress catches KeyboardInterrupt itself
        except KeyboardInterrupt:
            pass
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            server.close()
            app.extensions["docgen"].close()
        announce("stopped; LibreOffice stopped with it" if warm else "stopped")
