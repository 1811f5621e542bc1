"""Where the two web edges live, for the pieces below both that must tell them apart."""

API_PREFIX = "/api/v1"
CONSOLE_PREFIX = "/console"
# Bodies of these paths are CSV files of leads, with their own size limit.
IMPORT_PATHS = frozenset({f"{API_PREFIX}/blocked-leads/import", f"{CONSOLE_PREFIX}/import"})
# Every API path whose body is CSV, not JSON (a company import stays within the JSON limit).
CSV_PATHS = IMPORT_PATHS | {f"{API_PREFIX}/company-blocks/import"}
# Probes for load balancers and orchestrators, and the metrics scrape: no key, no rate limit.
OPERATIONS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
