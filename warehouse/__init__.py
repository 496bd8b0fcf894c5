"""Runtime of smarketing-warehouse: settings, the embedded Postgres, dbt and publication plumbing."""
