"""Meta Marketing API (Graph): ad account insights, sync with next links or async report runs."""
