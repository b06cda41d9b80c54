"""Extensions: find the definition by url, check where it is used, walk its content."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fhircare.errors import DefinitionError
from fhircare.validation.primitives import example_url_problem
from fhircare.validation.rules import check_value_rules
from fhircare.validation.structure import ElementNode, StructureModel
from fhircare.validation.walk import Walk

if TYPE_CHECKING:
    from fhircare.validation.services import WalkServices

#: HL7's own extension space. An extension there that no loaded package defines is an
#: error, as any unknown extension is: the HL7 validator (7.0.6) rejects it too, having
#: exempted only ``http://hl7.org/fhir/tools/StructureDefinition/*`` and
#: ``structuredefinition-expression`` from its "not allowed here" rule and then rejecting
#: their url as one that does not resolve in HL7's space. The extension pack
#: (hl7.fhir.uv.extensions.r4) defines most of them: the message says how to load it.
_HL7_BASE = "http://hl7.org/fhir/"
_CORE = "http://hl7.org/fhir/StructureDefinition/"
#: places the R4 core package itself uses three of its extensions outside the contexts their
#: definitions state (a publication slip the HL7 validator accepts: the core
#: StructureDefinitions must validate): extension url → element paths or types also allowed
_CORE_PLACEMENTS: dict[str, frozenset[str]] = {
    # on ElementDefinition.type, though its context says ElementDefinition.type.code
    _CORE + "structuredefinition-fhir-type": frozenset({"ElementDefinition.type"}),
    # on primitive types' value elements (ElementDefinition.type); its context says ElementDefinition
    _CORE + "regex": frozenset({"ElementDefinition.type"}),
}
#: extensions whose stated context is too narrow for where they are used, allowed on any
#: element as the HL7 validator allows them (its fixContexts): normative-version says
#: StructureDefinition but the R4 specification puts it on every normative CodeSystem,
#: ValueSet, OperationDefinition, ... (128 of the R4 examples); R4's capability statement
#: expectation and prohibited extensions name a short list of places the specification
#: itself goes beyond
_ANY_ELEMENT = frozenset(
    {
        _CORE + "structuredefinition-normative-version",
        _CORE + "capabilitystatement-expectation",
        _CORE + "capabilitystatement-prohibited",
    }
)


def _host(validator: WalkServices, node: ElementNode, w: Walk) -> tuple[str, set[str]]:
    """The element an extension sits on, and the type names it stands for."""
    parent = node.path.rsplit(".", 1)[0]
    if w.host is not None and parent == w.host[1]:
        return w.host[0], {w.host[1], "Element"}
    return parent, _host_types(validator, parent)


def validator_unknown_context(expression: str) -> bool:
    """Contexts naming types R4 lacks (CanonicalResource, ...) cannot be judged here."""
    return expression.split(".", 1)[0] in _R5_ONLY_TYPES


_R5_ONLY_TYPES = frozenset({"CanonicalResource", "MetadataResource", "DataType", "PrimitiveType"})


def context_allows(model: StructureModel, host_path: str, host_types: set[str]) -> bool:
    if not model.context or model.url in _ANY_ELEMENT:
        return True
    also = _CORE_PLACEMENTS.get(model.url)
    if also is not None and (host_path in also or not also.isdisjoint(host_types)):
        return True
    for ctx in model.context:
        kind, expression = ctx.get("type"), ctx.get("expression", "")
        if kind != "element":
            return True  # fhirpath and extension contexts are not checked offline
        if expression in ("Element", "Base", "BackboneElement") or expression == host_path:
            return True
        if expression in host_types:
            return True
        if validator_unknown_context(expression):
            return True
        if host_path.split(".")[0] == expression and "." not in host_path and "Resource" in host_types:
            return True
    return False


#: the base Extension's own definition: the parts of an extension it alone knows are left to
#: the "could not be found" of their extension
_BASE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/Extension|"


def check_extension(validator: WalkServices, value: dict[str, Any], node: ElementNode, loc: str, w: Walk) -> None:

    url = value.get("url")
    if not isinstance(url, str):
        if not w.profile:
            w.sink.error(
                "structure",
                loc,
                "Extension.url is required in order to identify, use and validate the extension",
            )
        base = validator.context.type_model("Extension")
        if base is not None and not w.profile:
            validator.walk_object(value, base.root, "Extension", loc, Walk(w.sink, w.frame, False, w.walked))
        return
    if not w.profile and not validator.allow_example_urls and (problem := example_url_problem(url)):
        w.sink.error("invalid", f"{loc}.url", problem)
    profiles = [p for t in node.types for p in t.profiles]
    definition_url = profiles[0] if profiles else url
    if w.profile and not profiles:
        return  # the base walk resolved and walked this extension by url
    if ":" not in url and not profiles:
        if not node.path.startswith("Extension.") and not w.profile:
            # only the parts of a complex extension have local names
            w.sink.error("structure", loc, "Extension.url must be an absolute URL")
        elif not w.profile and not node.sd_url.startswith(_BASE_EXTENSION) and url not in _part_urls(node):
            # a part the extension does not define (a simple extension defines none): nothing
            # says what it means; at the part named by its url, as the HL7 validator puts it
            w.sink.error(
                "structure",
                f"{loc}[url='{url}']",
                f"Sub-extension url '{url}' is not defined by the Extension {node.sd_url}",
            )
        return  # a complex extension's part: the slice that defines it is walked instead
    if "|" in url and not w.profile:
        w.sink.error("structure", f"{loc}[url='{url}']", "The extension URL must not contain a version")
    try:
        model: StructureModel | None = validator.context.model(definition_url)
    except DefinitionError:
        model = None
    if model is None:
        if w.profile:
            w.sink.error("not-found", loc, f"Unable to resolve the profile reference '{definition_url}'")
            return
        text = f"The extension {url} could not be found so is not allowed here"
        if url.startswith(_HL7_BASE):
            text += (
                " (HL7 extensions outside R4 core are defined by the extension pack"
                " hl7.fhir.uv.extensions.r4: load it with --ig to use them)"
            )
        w.sink.error("structure", loc, text)
        base = validator.context.type_model("Extension")
        if base is not None:
            validator.walk_object(value, base.root, "Extension", loc, Walk(w.sink, w.frame, False, w.walked))
        return
    if not w.profile:
        _check_modifier_use(model, url, node, loc, w)
        host, host_types = _host(validator, node, w)
        if _is_resource_id(validator, host):
            # a resource's id is its address: nothing may qualify or replace it
            text = f"Extensions are not allowed on Resource.id ('{url}')"
            w.sink.error("business-rule", loc.rsplit(".", 1)[0], text)
        elif not context_allows(model, host, host_types):
            allowed = ", ".join(str(c.get("expression")) for c in model.context)
            host_loc = loc.rsplit(".", 1)[0]
            w.sink.error(
                "structure",
                host_loc,
                f"The extension {url} is not allowed to be used at this point "
                f"(allowed = {allowed}; this element is [{host}])",
            )
    key = (id(value), model.url)
    if key in w.walked:
        return
    w.walked.add(key)
    ext_walk = Walk(w.sink, w.frame, False, w.walked)
    validator.walk_object(value, model.root, "Extension", loc, ext_walk)
    if _is_simple(model) and not _has_read_value(value, w):
        # a simple extension says what it says in its value: without one it says nothing
        text = f"The Extension '{url}' definition is for a simple extension, so it must contain a value"
        w.sink.error("structure", loc, text + (", not extensions" if "extension" in value else ""))
    if model.root.has_value_rules:
        check_value_rules(validator, value, model.root, "Extension", loc, ext_walk)


def _is_simple(model: StructureModel) -> bool:
    """A simple extension: a value, no parts (its Extension.extension is max 0)."""
    children = model.root.children
    value, parts = children.get("value[x]"), children.get("extension")
    return value is not None and value.max != 0 and parts is not None and parts.max == 0


def _has_read_value(value: dict[str, Any], w: Walk) -> bool:
    """Does the extension hold a value[x] its JSON reader reads (see Frame.unread)?"""
    unread = w.frame.unread_in(value)
    return any(k.startswith(("value", "_value")) and k not in unread for k in value)


def _part_urls(node: ElementNode) -> set[str]:
    """The urls of the parts a complex extension defines (its Extension.extension slices)."""
    urls = set()
    for part in node.slices:
        url = part.children.get("url")
        if url is not None and isinstance(url.fixed, str):
            urls.add(url.fixed)
    return urls


def _check_modifier_use(model: StructureModel, url: str, node: ElementNode, loc: str, w: Walk) -> None:
    """A modifier extension belongs in modifierExtension, any other in extension: one that
    changes the meaning of its element must not be missed by a reader that ignores extensions
    (and one that does not must not make readers refuse the resource)."""
    used_as_modifier = node.name == "modifierExtension"
    at = f"{loc}[url='{url}']"  # the extension named by its url, as the HL7 validator puts it
    if model.root.is_modifier and not used_as_modifier:
        text = f"The Extension '{url}' must not be used as an extension (it's a modifierExtension)"
        w.sink.error("structure", at, text)
    elif used_as_modifier and not model.root.is_modifier:
        text = f"The Extension '{url}' must not be used as a modifierExtension (it's a regular extension)"
        w.sink.error("structure", at, text)


def _is_resource_id(validator: WalkServices, host_path: str) -> bool:
    """Is the element a resource's own id (Patient.id), whose base is Resource.id?"""
    resource_type, _, rest = host_path.partition(".")
    if rest != "id":
        return False
    model = validator.context.type_model(resource_type)
    return model is not None and model.kind == "resource"


def _host_types(validator: WalkServices, host_path: str) -> set[str]:
    """Type names an element path stands for ('Patient.name' → HumanName, Element)."""
    parts = host_path.split(".")
    model = validator.context.type_model(parts[0])
    types: set[str] = {"Element"}
    if model is None:
        return types
    if len(parts) == 1:
        types.add(parts[0])
        if model.kind == "resource":
            types |= {"Resource", "DomainResource"}
        return types
    node = model.by_id.get(host_path)
    if node is not None:
        types |= set(node.type_codes)
    return types
