"""Use cases: what the API, the CLI and the console all call. Callers own the transaction."""
