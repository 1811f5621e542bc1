"""The web console at /console: server-rendered pages over the same services as the API.

Pages add no business logic: they translate forms into service calls and results into HTML.
A session is a signed cookie naming the API key the user signed in with; the key is looked up
on every request, so revoking it ends its sessions on the next click.
"""
