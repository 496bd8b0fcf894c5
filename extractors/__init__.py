"""Extractors: pull API data into append-only `raw.<source>__<stream>` tables.

A small core (`extractors.core`: HTTP session with retries and rate budget, one class per paging style,
incremental state, COPY loader) under one package per source that declares its streams as data
(`extractors.hubspot.streams`); `extractors.runner` plans each stream's reads (full, incremental by search,
by parent ids, archived) from its declaration and state. Run with `python -m extractors run SOURCE`.
"""
