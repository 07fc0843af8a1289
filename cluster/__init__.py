"""The cluster test: two API servers, two schedulers, one PostgreSQL and Redis, under faults."""
