"""Which nodes a change touches, and the paths from each changed node to the published marts it reaches."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

PUBLISHED_SCHEMA = "marts"  # the custom schema of the published marts (dbt_project.yml: +schema: marts)


@dataclass(frozen=True)
class Lineage:
    changed: list[str]  # unique ids of directly changed nodes
    marts: list[str]  # published marts reached from them
    paths: list[list[str]]  # one shortest path per (changed node, mart)


def is_published_mart(node: dict[str, Any]) -> bool:
    return node.get("resource_type") == "model" and node.get("config", {}).get("schema") == PUBLISHED_SCHEMA


def changed_nodes(manifest: dict[str, Any], changed_files: list[str], var_files: list[str]) -> list[str]:
    """Models and seeds whose own file changed, or whose SQL reads a changed var; properties files count
    for the nodes they describe (patch_path)."""
    files = set(changed_files) | set(var_files)
    found = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed", "snapshot"):
            continue
        patch = (node.get("patch_path") or "").split("://", 1)[-1]
        if node["original_file_path"] in files or patch in files:
            found.append(unique_id)
    return sorted(found)


def shortest_path(child_map: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            path = [current]
            while (parent := previous[path[-1]]) is not None:
                path.append(parent)
            return path[::-1]
        for child in child_map.get(current, []):
            if child not in previous and not child.startswith(("test.", "unit_test.")):
                previous[child] = current
                queue.append(child)
    return None


def lineage(manifest: dict[str, Any], changed: list[str]) -> Lineage:
    child_map = manifest.get("child_map", {})
    marts = sorted(uid for uid, node in manifest["nodes"].items() if is_published_mart(node))
    paths = [path for start in changed for mart in marts if (path := shortest_path(child_map, start, mart)) is not None]
    reached = sorted({path[-1] for path in paths})
    return Lineage(changed=changed, marts=reached, paths=paths)


def short(unique_id: str) -> str:
    """`model.smarketing.weekly_review` -> `weekly_review` (seeds keep a marker)."""
    kind, _, rest = unique_id.partition(".")
    name = rest.split(".")[-1]
    return f"{name} (seed)" if kind == "seed" else name


def mermaid(lineage: Lineage) -> str:
    """A Mermaid flowchart of the paths (GitHub renders it in a pull-request comment)."""
    edges = sorted({(a, b) for path in lineage.paths for a, b in pairwise(path)})
    lines = ["flowchart LR"]
    for node in lineage.changed:
        lines.append(f'  {_id(node)}["{short(node)}"]:::changed')
    for a, b in edges:
        lines.append(f'  {_id(a)}["{short(a)}"] --> {_id(b)}["{short(b)}"]')
    lines.append("  classDef changed fill:#fde68a,stroke:#b45309")
    return "\n".join(lines)


def _id(unique_id: str) -> str:
    return unique_id.replace(".", "_")
