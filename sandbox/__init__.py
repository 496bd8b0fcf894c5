"""Local emulation of the CRM and ad APIs, serving a seeded smarketing story, plus its ground truth."""
