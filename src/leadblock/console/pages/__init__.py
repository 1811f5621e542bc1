"""Console pages, one module per area of the navigation."""
