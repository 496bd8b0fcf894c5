"""HubSpot CRM v3: private-app bearer token, `after`-cursor paging, every property value a string."""
