"""What the API and the web console share: the HTTP edge below both."""
