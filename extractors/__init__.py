"""Extractors: pull API data into append-only `raw.<source>__<stream>` tables.

A small core (`extractors.core`: HTTP session with retries and rate budget, paging, COPY loader with
state) under one module per source that declares its streams as data (`extractors.hubspot.streams`).
"""
