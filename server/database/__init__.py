"""The database machinery beneath the models: column types, engine tuning and the request
transaction protocol (docs/architecture.md, "Transactions"). Models import from ``server.db``."""
