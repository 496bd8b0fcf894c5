"""Impact review of definition changes: `python -m impact --base <git ref>` builds the base ref's and the
working tree's dbt projects on the same raw data and reports what changes (Markdown, HTML, JSON)."""
