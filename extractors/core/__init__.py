"""The shared machinery every source uses: HTTP, paging, streams and the raw loader."""
