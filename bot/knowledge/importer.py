"""Turn an official text into (a version of) knowledge/laws/<id>.yaml.

This is how a law, or a new version of one, enters the knowledge base:
``python -m bot knowledge import shared/laws/x.md --id x --label 2025年修订 ...``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.lawtext import parse_law_text


@dataclass
class VersionInfo:
    """What the official file does not say reliably: the version's label, dates and status."""

    label: str
    kind: str
    version_date: dt.date
    effective: dt.date | None
    in_force: bool
    note: str | None = None
    aliases: list[str] = field(default_factory=list)
    name: str | None = None


class _Dumper(yaml.SafeDumper):
    """Block style, but short string lists (aliases) in flow style."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = bool(data) and all(isinstance(v, str) and len(v) <= 20 for v in data) and len(data) <= 8
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any) -> str:
    """YAML as we write it in knowledge/: UTF-8 Chinese, keys in order, long lines kept."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


def import_law(source: Path, law_id: str, info: VersionInfo, laws_dir: Path) -> Path:
    """Parse ``source`` and write or update ``laws_dir/<law_id>.yaml``; return its path.

    A version with the same label is replaced; when ``info.in_force`` is true, every other
    version is marked as no longer in force.
    """
    parsed = parse_law_text(source.read_text(encoding="utf-8"))
    target = laws_dir / f"{law_id}.yaml"
    if target.exists():
        law = yaml.safe_load(target.read_text(encoding="utf-8"))
    else:
        law = {"id": law_id, "name": info.name or parsed.title, "aliases": [], "versions": []}
    for alias in info.aliases:
        if alias not in law["aliases"]:
            law["aliases"].append(alias)
    if info.name:
        law["name"] = info.name
    version: dict[str, Any] = {
        "label": info.label,
        "kind": info.kind,
        "version_date": info.version_date,
        "effective": info.effective,
        "in_force": info.in_force,
        "source": source.name,
    }
    if parsed.item_brackets != "（）":
        version["item_brackets"] = parsed.item_brackets
    if info.note:
        version["note"] = info.note
    version["articles"] = [
        {
            **({"part": a.part} if a.part else {}),
            **({"subpart": a.subpart} if a.subpart else {}),
            "number": a.number,
            "chapter": a.chapter,
            **({"section": a.section} if a.section else {}),
            "paragraphs": [
                {"text": p.text, **({"items": p.items} if p.items else {})} for p in a.paragraphs
            ],
        }
        for a in parsed.articles
    ]
    if info.in_force:
        for other in law["versions"]:
            other["in_force"] = False
    law["versions"] = [v for v in law["versions"] if v.get("label") != info.label] + [version]
    law["versions"].sort(key=lambda v: str(v["version_date"]))
    laws_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_yaml(law), encoding="utf-8")
    return target
