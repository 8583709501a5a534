"""`docgen serve`: the desk page, a thin Flask layer over the same functions the CLI calls.

Nothing here plans, prices, formats or translates: a page reads a form, calls the library, and
shows what came back — a problem next to the input it is about, documents by an id the server
issued. Where things are:

- app.py: create_app, the application factory; the page's language
- state.py: the Desk (workspace, output folder, issued file ids, running batches)
- security.py: every rule a request passes (access token, this computer only, headers, errors)
- common.py: what pages share (the page's words, problems per input or cell, zips)
- one module per page: patient.py (home), price_sheets.py, batch.py, health.py
- templates/ and static/: the HTML, CSS and script
"""

from docgen.web.app import create_app
from docgen.web.security import is_loopback

__all__ = ["create_app", "is_loopback"]
