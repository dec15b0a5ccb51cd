"""Read a YAML file the way PyYAML does, but keep what PyYAML forgets: where each key is written, and
which keys are written twice (PyYAML silently keeps the last one).

    document = read_yaml(text)
    document.data                                   # what yaml.safe_load returns
    document.line_of(("environments", "dev", "account"))   # 1-based line of that key, or its nearest parent
    document.duplicates                             # [Duplicate(path, first_line, line), ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]
MERGE_KEY = "<<"


@dataclass(frozen=True)
class Duplicate:
    """A mapping key written more than once: `path` ends with the key; lines are 1-based."""

    path: Path
    first_line: int
    line: int


@dataclass
class YamlDocument:
    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of `path`'s key; for a path that is not written (a missing field), the line of its
        nearest written parent; None for an empty document."""
        parts = tuple(path)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), None)


def read_yaml(text: str) -> YamlDocument:
    """Parse `text` (one YAML document); yaml.YAMLError as PyYAML raises it for bad syntax."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    document = YamlDocument(data=yaml.safe_load(text))
    if node is not None:
        document.lines[()] = node.start_mark.line + 1
        _index(node, (), document)
    return document


def _scalar_key(node: yaml.Node) -> str | int | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag.endswith(":int") and node.value.isdigit():
        return int(node.value)
    return str(node.value)


def _index(node: yaml.Node, path: Path, document: YamlDocument) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str | int, int] = {}
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key is None or key == MERGE_KEY:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                document.duplicates.append(Duplicate(path=(*path, key), first_line=seen[key], line=line))
            else:
                seen[key] = line
            document.lines[(*path, key)] = line
            _index(value_node, (*path, key), document)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + 1
            _index(item, (*path, index), document)
