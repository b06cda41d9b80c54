"""``fhircare mapping check``: a mapping file checked (and an extract profiled through it)
before anything is mapped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.table import Table
from rich.text import Text

from fhircare.cli.common import EXIT_FAILURE, EXIT_OK, _errors_reported, _settings, _stdout, as_of_day, no_traceback
from fhircare.cli.sync import FormatOption, SummaryFormat
from fhircare.source.convert import NOT_SHOWN

if TYPE_CHECKING:
    from fhircare.source.check import ExtractProfile
    from fhircare.source.mapping_schema import TrustMapping
    from fhircare.synth.probe import FieldUse

MAPPING_CHECK_EPILOG = (
    "Examples:\n\n"
    "  fhircare mapping check mappings/rio-like.yaml\n\n"
    "  fhircare mapping check mappings/my-trust.yaml --extract extract/\n\n"
    "  fhircare mapping check mappings/my-trust.yaml --extract extract/ --format json\n\n"
    "Checks the file completely (every problem shown, each with its line and key path: unknown keys"
    " with a did-you-mean, keys given twice, codes that are not in fhircare's code systems, formats,"
    " values maps) and names the fields it reads that fhircare's FHIR mapping does not carry (found by"
    " trying: a change to them changes no bundle). With --extract, reads the extract through it and"
    " reports, per column, how many values mapped, were missing, fell outside every value map (with"
    " the codes, when they look like codes and recur: a value that may be personal data is never"
    " shown) or could not be read; per file, rows read, ignored by ignore_rows, unreadable or taken"
    " by no record type, and the columns no record type reads; then reads it as fhircare map does, its"
    " consistency rules too (as of --as-of), and says how many service users map would reject, and why"
    " (by file and column).\n\n"
    "Exit codes: 0 the file is usable (and the extract reads cleanly); 1 the extract has values or rows"
    " that would be rejected, or a file the mapping needs is missing; 2 the mapping file cannot be used."
)

mapping_app = typer.Typer(help="Trust mapping files (mappings/README.md).", no_args_is_help=True)


@mapping_app.command("check", epilog=MAPPING_CHECK_EPILOG)
def check_command(
    ctx: typer.Context,
    mapping_file: Annotated[Path, typer.Argument(metavar="FILE", help="The mapping file.", show_default=False)],
    extract: Annotated[
        Path | None,
        typer.Option("--extract", metavar="DIR", help="Also read this extract through it.", show_default=False),
    ] = None,
    output_format: FormatOption = SummaryFormat.text,
    show_codes: Annotated[
        bool,
        typer.Option(
            "--show-codes",
            help="List the commonest values outside each value map (those that look like codes and recur)."
            " Off by default: a column mapped by mistake would show service users' names.",
        ),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="The day the extract would be mapped as of (as fhircare map --as-of): the consistency"
            " rules (one current lead, consents in force) are judged on it. Default: today.",
            show_default=False,
        ),
    ] = None,
    # the older spelling, kept for scripts: every other command says --format json
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,
) -> None:
    """Check a mapping file, and profile an extract through it, before mapping anything."""
    from fhircare.errors import ExtractError
    from fhircare.mapping.consistency import check_consistency
    from fhircare.source.bundle import ServiceUserRecord
    from fhircare.source.check import profile_extract, read_through, static_notes
    from fhircare.source.limits import ReadLimits
    from fhircare.source.mapping_file import load_mapping
    from fhircare.source.results import Problem
    from fhircare.synth.probe import field_use

    settings = _settings(ctx)
    limits = ReadLimits.from_settings(settings)
    with _errors_reported(), no_traceback("fhircare mapping check"):
        mapping = load_mapping(mapping_file, limits=limits)
        notes = static_notes(mapping)
        dropped = _not_carried(mapping, field_use(mapping))
        profile = None
        if extract is not None:
            if not extract.is_dir():
                raise ExtractError(f"no such extract folder: {extract}")
            profile = profile_extract(extract, mapping, limits)
            day = as_of_day(as_of)

            def judge(record: ServiceUserRecord) -> list[Problem]:
                su = record.service_user_id
                return [i.to_problem(mapping, su) for i in check_consistency(record, day)]

            profile.read = read_through(extract, mapping, limits, judge, unusable=profile.unusable)
            for column in profile.columns:
                column.show_codes = show_codes
    if as_json or output_format is SummaryFormat.json:
        report: dict[str, Any] = {
            "mapping": str(mapping_file),
            "record_types": len(mapping.sources),
            "sources": len(mapping.plans()),
            "notes": notes,
            "not_carried": dropped,
            "extract": profile.to_dict() if profile is not None else None,
        }
        typer.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(mapping_file, mapping, notes, dropped, profile, show_codes=show_codes)
    raise typer.Exit(EXIT_FAILURE if profile is not None and profile.has_problems else EXIT_OK)


def _not_carried(mapping: TrustMapping, use: FieldUse) -> list[dict[str, Any]]:
    """Per record type, the fields the file reads that no bundle would show."""
    out: list[dict[str, Any]] = []
    for name, plans in mapping.sources.items():
        rt = plans[0].record_type
        read = {c.field.name: c.source for plan in plans for c in plan.columns}
        verdicts = {f: use.carries(name, f) for f in read}
        lost = [f for f, carried in verdicts.items() if carried is False and f not in rt.key]
        nothing = all(v is not True for v in verdicts.values())
        if nothing:
            out.append({"record_type": name, "fields": sorted(read), "whole_record_type": True})
        elif lost:
            out.append(
                {
                    "record_type": name,
                    "fields": sorted(lost),
                    "columns": [read[f] for f in sorted(lost)],
                    "whole_record_type": False,
                }
            )
    return out


def _print(
    path: Path,
    mapping: TrustMapping,
    notes: list[str],
    dropped: list[dict[str, Any]],
    profile: ExtractProfile | None,
    *,
    show_codes: bool = False,
) -> None:
    out = _stdout()
    files = len(mapping.files())
    out.print(
        Text(
            f"{path}: usable as a mapping file ({len(mapping.sources)} record types, {len(mapping.plans())} sources,"
            f" {files} files)."
        )
    )
    for note in notes:
        out.print(Text(f"note: {note}"))
    for entry in dropped:
        if entry["whole_record_type"]:
            out.print(
                Text(f"not carried to FHIR: {entry['record_type']} records (none of their fields reach a bundle)")
            )
        else:
            pairs = ", ".join(f"{f} ({c})" for f, c in zip(entry["fields"], entry["columns"], strict=True))
            out.print(Text(f"not carried to FHIR: {entry['record_type']}: {pairs}"))
    if profile is None:
        return
    for missing in profile.missing_files:
        out.print(Text(f"missing: no file matches {missing}", style="red"))
    for absent in profile.absent_optional:
        out.print(Text(f"absent (optional): {absent}"))
    table = Table(title=Text("Files"), title_justify="left")
    # files of one extract differ only at the end (RiO_CarePlan_Goals_…, RiO_CarePlan_Actions_…):
    # their names are shown whole, the other columns fold rather than lose text
    table.add_column("file", no_wrap=True, min_width=max((len(f.name) for f in profile.files), default=4))
    for column in ("rows", "ignored", "unreadable", "no record type", "columns not read", "problems"):
        table.add_column(
            column, justify="right" if column in ("rows", "ignored", "unreadable") else "left", overflow="fold"
        )
    for found in profile.files:
        table.add_row(
            Text(found.name),
            str(found.rows),
            str(found.ignored),
            Text(str(found.unreadable), style="red" if found.unreadable else ""),
            Text(str(found.unclaimed), style="red" if found.unclaimed else ""),
            Text(", ".join(found.columns_not_read)),
            Text("; ".join(found.problems), style="red"),
        )
    out.print(table)
    columns = Table(title=Text("Columns"), title_justify="left")
    for column in ("record type", "field", "column", "mapped", "missing", "outside value map", "invalid"):
        columns.add_column(column, justify="right" if column in ("mapped", "missing", "invalid") else "left")
    for stats in profile.columns:
        codes = ", ".join(c if c == NOT_SHOWN else repr(c) for c, _ in stats.codes_shown)
        if stats.outside_map and not codes:
            codes = "--show-codes lists them" if not show_codes else "not shown: may be personal data"
        outside = f"{stats.outside_map}" + (f" ({codes})" if codes else "")
        columns.add_row(
            stats.record_type + (f" [{stats.source + 1}]" if len(mapping.sources[stats.record_type]) > 1 else ""),
            stats.field,
            Text(stats.column),
            str(stats.mapped),
            str(stats.missing),
            Text(outside, style="red" if stats.outside_map else ""),
            Text(str(stats.invalid), style="red" if stats.invalid else ""),
        )
    out.print(columns)
    read = profile.read
    if read is not None:
        out.print(Text(f"Read as fhircare map reads it: {read.service_users} service users, {read.rejected} rejected."))
        for name, count in sorted(read.repeated.items()):
            out.print(Text(f"{count} rows of {name} repeat an earlier row exactly and are read once."))
        if read.reasons:
            reasons = Table(title=Text("Why they would be rejected"), title_justify="left")
            for column in ("file", "column", "reason", "rows"):
                reasons.add_column(column, justify="right" if column == "rows" else "left")
            for entry in read.commonest:
                reasons.add_row(
                    Text(str(entry["file"])), Text(str(entry["column"])), Text(str(entry["reason"])), str(entry["rows"])
                )
            out.print(reasons)
    out.print(_verdict(profile))


def _verdict(profile: ExtractProfile) -> Text:
    """The extract's verdict, last and whole (a table cell is cut to the terminal's width):
    what would be rejected, file by file, or that it reads cleanly."""
    if not profile.has_problems:
        return Text("The extract reads cleanly through the mapping file.")
    lines = [f"The extract does not read cleanly through the mapping file (exit {EXIT_FAILURE}):"]
    lines += [f"  missing: no file matches {m}" for m in profile.missing_files]
    for found in profile.files:
        lines += [f"  {found.name}: {problem}" for problem in found.problems]
        if found.unreadable:
            lines.append(f"  {found.name}: {found.unreadable} unreadable rows")
        if found.unclaimed:
            lines.append(f"  {found.name}: {found.unclaimed} rows no record type takes")
    # what made map's reading unusable, where the files' profiles above do not say it
    missing = tuple(f"{m.split(' (', 1)[0]}: " for m in profile.missing_files)
    shown = "\n".join(lines)
    lines += [
        f"  {problem}"
        for problem in profile.unusable
        if not problem.startswith(missing) and problem.split(": ", 1)[-1] not in shown
    ]
    if profile.read is not None:
        lines += [f"  {unread}" for unread in profile.read.unread_keys]
    if profile.read is not None and profile.read.rejected:
        lines.append(
            f"  {profile.read.rejected} of {profile.read.service_users} service users would be rejected by"
            " fhircare map (the reasons are above)"
        )
    for stats in profile.columns:
        if stats.outside_map or stats.invalid:
            lines.append(
                f"  {stats.record_type}.{stats.field} ({stats.column}): {stats.outside_map} outside its value map,"
                f" {stats.invalid} not readable"
            )
    return Text("\n".join(lines), style="red")
