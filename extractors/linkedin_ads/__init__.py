"""LinkedIn Marketing API: versioned Rest.li 2.0 `adAnalytics`, no paging, answers cut at 15,000 elements."""
