"""Everything that talks SQL: the engine, named queries, migrations and the table gateways."""
