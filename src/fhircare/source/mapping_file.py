"""Trust mapping files: ``mappings/<name>.yaml`` says where each record type is in an
extract and how its columns become canonical fields.

:func:`load_mapping` reads and checks a file completely before any extract is opened: a
wrong file is a :class:`~fhircare.errors.MappingFileError` naming the key path (and line)
of every problem, for example
``mappings/rio-like.yaml:41: record_types.care_plan.columns.start_dat: unknown field
'start_dat' of care_plan (did you mean 'start_date'?)``. Every YAML scalar is read as a
string (no YAML 1.1 surprises: ``NO`` or ``01`` stay codes); pydantic converts the few
that are flags or numbers. The file format is documented in ``mappings/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fhircare.errors import MappingFileError
from fhircare.source.concept_maps import read_concept_map
from fhircare.source.mapping_compile import Issue, MappingCompiler, line_of, suggest
from fhircare.source.mapping_schema import (
    ColumnPlan,
    ColumnSpec,
    CsvOptions,
    MappingDocument,
    ReadOptions,
    RecordPlan,
    RecordTypeSpec,
    TrustMapping,
    TrustSpec,
)

__all__ = ["ColumnPlan", "CsvOptions", "RecordPlan", "TrustMapping", "load_mapping", "shipped_layouts"]


class _StringLoader(yaml.SafeLoader):
    """Every plain scalar is a string; only an empty value or ``~`` is null."""


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def shipped_layouts(folder: Path) -> list[str]:
    """The names of the mapping files in a folder (``<name>.yaml``), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def load_mapping(path: Path) -> TrustMapping:
    """Read and check a mapping file; raise MappingFileError naming every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MappingFileError(path, [("", None, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        node = yaml.compose(text, Loader=_StringLoader)
        data = yaml.load(text, Loader=_StringLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise MappingFileError(path, [("", line, f"not valid YAML: {reason}")]) from None
    lines = dict(_node_lines(node, ())) if node is not None else {}
    try:
        document = MappingDocument.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise MappingFileError(path, [_pydantic_issue(error, lines) for error in exc.errors()]) from None
    return MappingCompiler(path, _with_concept_maps(path, document, lines), lines).compile()


def _with_concept_maps(path: Path, document: MappingDocument, lines: dict[tuple[str, ...], int]) -> MappingDocument:
    """The document with each of its ``concept_maps`` read into a value map of that name."""
    if not document.concept_maps:
        return document
    maps = dict(document.value_maps)
    issues: list[Issue] = []
    for name, file in document.concept_maps.items():
        where = ("concept_maps", name)
        if name in maps:
            issues.append((".".join(where), line_of(lines, where), f"'{name}' is a value map already"))
            continue
        found, problems = read_concept_map(path.parent / file)
        issues += [
            (".".join(where) + (f" ({part})" if part else ""), line_of(lines, where), why) for part, why in problems
        ]
        maps[name] = found
    if issues:
        raise MappingFileError(path, issues)
    return document.model_copy(update={"value_maps": maps})


def _node_lines(node: yaml.Node, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            yield child, key.start_mark.line + 1
            for sub_path, line in _node_lines(value, child):
                if sub_path != child:
                    yield sub_path, line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_lines(item, (*path, str(index)))


def _pydantic_issue(error: Any, lines: dict[tuple[str, ...], int]) -> Issue:
    loc = tuple(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = loc[:-1]
        reason = f"unknown key '{loc[-1]}'" + suggest(loc[-1], _known_keys(parent))
    elif kind == "missing":
        reason = f"required key '{loc[-1]}' is missing"
    else:
        reason = error["msg"]
    return ".".join(loc), line_of(lines, loc), reason


def _known_keys(parent: tuple[str, ...]) -> list[str]:
    """The keys a mapping allows at ``parent`` (for did-you-mean suggestions)."""
    model: type[BaseModel] = MappingDocument
    for part in parent:
        info = model.model_fields.get(part)
        if info is None:
            continue
        annotation = info.annotation
        for candidate in (ColumnSpec, CsvOptions, ReadOptions, RecordTypeSpec, TrustSpec):
            if annotation is candidate or candidate.__name__ in repr(annotation):
                model = candidate
                break
    return list(model.model_fields)
