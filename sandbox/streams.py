"""Seeded randomness for the story: one Mersenne Twister stream per contact, cheap keyed draws for the rest.

Everything random in the story is keyed by parts such as ``(seed, index)`` or ``(seed, "merge", block)``,
joined with ":" into a str key, so any object can be computed alone, in any order, in any process. Python's
``hash()`` of a str is salted per process and is never used: both ways below hash the key themselves.

- ``stream(*parts)``: a ``random.Random`` for a sequence of draws (a contact's whole life). Seeding one costs
  about 5 us whatever the seed's type (initialising the 624-word state dominates; a str seed adds a sha512),
  which is why each contact draws everything from its *one* stream in a fixed order, and why the small
  decisions below are not streams of their own (at five streams per contact, seeding was the largest single
  cost of generating the 1,000,000-contact story, ``bench/story_generation.py``).
- ``uniforms(count, *parts)``: up to eight independent uniform draws in [0, 1) from one blake2b digest of the
  key (about 1 us). For decisions that need only a few numbers and must not move any other draw: a contact's
  arrival time (read by the binary search of ``Story.count_at`` without building the contact), whether a block
  of contacts holds a merge, a planted fault, a company's name.
"""

from __future__ import annotations

import random
import struct
from hashlib import blake2b

_MAX_UNIFORMS = 8  # a blake2b digest has at most 64 bytes: eight 64-bit words
_WORDS = tuple(struct.Struct(f"<{count}Q") for count in range(_MAX_UNIFORMS + 1))  # count little-endian words
_UNIT = 2.0**-53  # the top 53 bits of a word, scaled: a float in [0, 1) as random.random() makes them


def key(*parts: object) -> str:
    return ":".join(map(str, parts))


def stream(*parts: object) -> random.Random:
    """A random stream for ``parts`` (seeded from the str key; stable across processes and Python builds)."""
    return random.Random(key(*parts))  # noqa: S311 - a simulation, not cryptography


def uniforms(count: int, *parts: object) -> tuple[float, ...]:
    """``count`` (1..8) independent uniform floats in [0, 1) for ``parts``."""
    if not 1 <= count <= _MAX_UNIFORMS:
        raise ValueError(f"between 1 and {_MAX_UNIFORMS} keyed uniforms, not {count}")
    digest = blake2b(key(*parts).encode(), digest_size=8 * count).digest()
    return tuple([(word >> 11) * _UNIT for word in _WORDS[count].unpack(digest)])


def uniform(*parts: object) -> float:
    """One uniform float in [0, 1) for ``parts``."""
    digest = blake2b(key(*parts).encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 11) * _UNIT


def pick(options: tuple[str, ...], draw: float) -> str:
    """The option a uniform ``draw`` in [0, 1) falls on, all options equally likely."""
    return options[int(draw * len(options))]
