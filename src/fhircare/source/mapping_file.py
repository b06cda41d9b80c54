"""Trust mapping files: ``mappings/<name>.yaml`` says where each record type is in an
extract and how its columns become canonical fields.

:func:`load_mapping` reads and checks a file completely before any extract is opened: a
wrong file is a :class:`~fhircare.errors.MappingFileError` naming the key path (and line)
of every problem, for example
``mappings/rio-like.yaml:41: record_types.care_plan.columns.start_dat: unknown field
'start_dat' of care_plan (did you mean 'start_date'?)``. Every YAML scalar is read as a
string (no YAML 1.1 surprises: ``NO`` or ``01`` stay codes); pydantic converts the few
that are flags or numbers. A key given twice is an error (YAML would keep the last one
silently). The file is read only if it is a regular file within the size limit, and
aliases are refused past a small budget, so a small hostile file cannot expand into
gigabytes. The file format is documented in ``mappings/README.md``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from fhircare.errors import InputError, LimitError, MappingFileError
from fhircare.source.concept_maps import read_concept_map
from fhircare.source.limits import ReadLimits, setting_name
from fhircare.source.mapping_compile import Issue, MappingCompiler, line_of, suggest
from fhircare.source.mapping_schema import (
    ColumnPlan,
    CsvOptions,
    MappingDocument,
    RecordPlan,
    TrustMapping,
)
from fhircare.workspace import read_regular

__all__ = ["ColumnPlan", "CsvOptions", "RecordPlan", "TrustMapping", "load_mapping", "shipped_layouts"]


class _AliasBudgetExceeded(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _StringLoader(yaml.SafeLoader):
    """Every plain scalar is a string; only an empty value or ``~`` is null. Counts the
    aliases it composes against a budget."""

    alias_budget = 0
    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > self.alias_budget:
                event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
                mark = event.start_mark
                raise _AliasBudgetExceeded(mark.line + 1 if mark is not None else 0)
        return super().compose_node(parent, index)


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def shipped_layouts(folder: Path) -> list[str]:
    """The names of the mapping files in a folder (``<name>.yaml``), sorted."""
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


def load_mapping(path: Path, *, limits: ReadLimits | None = None) -> TrustMapping:
    """Read and check a mapping file; raise MappingFileError naming every problem."""
    limits = limits or ReadLimits()
    try:
        raw = read_regular(path, limit=limits.mapping_max_bytes, setting=setting_name("mapping_max_bytes"))
    except (InputError, OSError) as exc:
        reason = exc.message if isinstance(exc, InputError) else (exc.strerror or type(exc).__name__)
        raise MappingFileError(path, [("", None, str(reason).removeprefix(f"{path}: "))]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingFileError(path, [("", None, f"not UTF-8 text ({exc.reason})")]) from None
    node, data = _compose(path, text, limits)
    lines = dict(_node_lines(node, ())) if node is not None else {}
    issues = _duplicate_keys(node, ()) if node is not None else []
    try:
        document = MappingDocument.model_validate(data if data is not None else {})
    except ValidationError as exc:
        issues += _pydantic_issues(exc, lines)
        raise MappingFileError(path, _ordered(issues)) from None
    if issues:
        raise MappingFileError(path, _ordered(issues))
    document, unusable = _with_concept_maps(path, document, lines, limits)
    compiler = MappingCompiler(path, document, lines)
    try:
        mapping = compiler.compile()
    except MappingFileError as exc:
        if not unusable:
            raise
        # every problem at once, a ConceptMap's beside the file's own (mappings/README.md)
        raise MappingFileError(path, unusable + exc.issues) from None
    if unusable:
        raise MappingFileError(path, _ordered(unusable))
    return mapping


def _compose(path: Path, text: str, limits: ReadLimits) -> tuple[yaml.Node | None, Any]:
    loader = _StringLoader(text)
    loader.alias_budget = limits.mapping_max_aliases
    try:
        node = loader.get_single_node()
        if node is not None:
            size = _expanded_size(node, {}, limits.mapping_max_nodes)
            if size > limits.mapping_max_nodes:
                raise LimitError(
                    f"holds more than {setting_name('mapping_max_nodes')} ({limits.mapping_max_nodes}) YAML nodes"
                    " once its aliases are expanded",
                    file=path,
                )
        data = loader.construct_document(node) if node is not None else None
    except _AliasBudgetExceeded as exc:
        budget = setting_name("mapping_max_aliases")
        reason = f"uses more YAML aliases than {budget} allows ({limits.mapping_max_aliases})"
        raise MappingFileError(path, [("", exc.line, reason)]) from None
    except LimitError as exc:
        raise MappingFileError(path, [("", None, exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise MappingFileError(path, [("", line, f"not valid YAML: {reason}")]) from None
    except RecursionError:
        raise MappingFileError(path, [("", None, "not valid YAML: nested too deeply")]) from None
    finally:
        loader.dispose()
    return node, data


def _expanded_size(node: yaml.Node, memo: dict[int, int], cap: int) -> int:
    """How many nodes ``node`` stands for with every alias expanded (stops past ``cap``)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    size = 1
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    for child in children:
        size += _expanded_size(child, memo, cap)
        if size > cap:
            break
    memo[id(node)] = size
    return size


def _duplicate_keys(node: yaml.Node, path: tuple[str, ...]) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + 1
            if name in seen and name != "<<":
                reason = f"the key '{name}' is given twice (first on line {seen[name]}); only one can count"
                issues.append((".".join((*path, name)), line, reason))
            seen.setdefault(name, line)
            issues += _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            issues += _duplicate_keys(item, (*path, str(index)))
    return issues


def _with_concept_maps(
    path: Path, document: MappingDocument, lines: dict[tuple[str, ...], int], limits: ReadLimits
) -> tuple[MappingDocument, list[Issue]]:
    """The document with each of its ``concept_maps`` read into a value map of that name,
    and the problems of those that could not be read (each then an empty map, so that the
    rest of the file is still checked without a false "unknown value map"). A ConceptMap's
    path must lie under the mapping file's folder (or a folder the settings allow): a
    mapping file cannot read any file on the machine."""
    if not document.concept_maps:
        return document, []
    maps: dict[str, dict[str, str | None]] = dict(document.value_maps)
    issues: list[Issue] = []
    roots = [path.parent.resolve(), *(Path(d).resolve() for d in limits.mapping_allowed_dirs)]
    for name, file in document.concept_maps.items():
        where = ("concept_maps", name)
        if name in maps:
            issues.append((".".join(where), line_of(lines, where), f"'{name}' is a value map already"))
            continue
        target = (path.parent / file).resolve()
        if not any(target.is_relative_to(root) for root in roots):
            allowed = setting_name("mapping_allowed_dirs")
            reason = f"{file} is outside the mapping file's folder (allow its folder with {allowed})"
            issues.append((".".join(where), line_of(lines, where), reason))
            maps[name] = {}
            continue
        found, problems = read_concept_map(target, limits)
        issues += [
            (".".join(where) + (f" ({part})" if part else ""), line_of(lines, where), why) for part, why in problems
        ]
        maps[name] = {} if problems else dict(found)
    return document.model_copy(update={"value_maps": maps}), issues


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


def _location(error: Any, lines: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """An error's key path as the file writes it (no validator names; a record type's
    source index only when the file gives a list of sources)."""
    loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
    if len(loc) >= 3 and loc[0] == "record_types" and loc[2].isdigit() and tuple(loc[:3]) not in lines:
        del loc[2]
    return tuple(loc)


def _pydantic_issues(exc: ValidationError, lines: dict[tuple[str, ...], int]) -> list[Issue]:
    errors = exc.errors(include_url=False)
    issues: list[Issue] = []
    unknown: dict[tuple[str, ...], list[str]] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = _location(error, lines)
            unknown.setdefault(loc[:-1], []).append(loc[-1])
    for error in errors:
        loc = _location(error, lines)
        kind = error["type"]
        if kind == "extra_forbidden":
            reason = f"unknown key '{loc[-1]}'" + suggest(loc[-1], _known_keys(loc[:-1]))
        elif kind == "missing":
            misspelt = [k for k in unknown.get(loc[:-1], []) if suggest(k, [loc[-1]])]
            if misspelt:
                continue  # the unknown key's did-you-mean says it
            reason = f"required key '{loc[-1]}' is missing"
        else:
            reason = str(error["msg"]).removeprefix("Value error, ")
        issues.append((".".join(loc), line_of(lines, loc), reason))
    return issues


def _ordered(issues: list[Issue]) -> list[Issue]:
    """Issues in file order (those without a line last), each once."""
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda issue: (issue[1] is None, issue[1] or 0))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (through Annotated, Optional, list, dict)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [m for m in map(_model_of, typing.get_args(annotation)) if m is not None]
            return models[0] if models else None
        elif origin in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation
        else:
            return None


def _known_keys(parent: tuple[str, ...]) -> list[str]:
    """The keys a mapping allows at ``parent`` (for did-you-mean suggestions)."""
    model: type[BaseModel] | None = MappingDocument
    container = False  # the last step was into a dict or list: the next part is its key
    for part in parent:
        if model is None:
            return []
        info = model.model_fields.get(part)
        if info is None or container:
            container = False
            continue
        annotation = info.annotation
        inner = _model_of(annotation)
        container = typing.get_origin(_unwrap(annotation)) in (list, dict)
        model = inner if inner is not None else model
    return list(model.model_fields) if model is not None else []


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation
