"""The database: engine, the transaction-only unit of work, tables, migrations."""
