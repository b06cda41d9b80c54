"""The state one validation walk carries: the resource in hand and where issues go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhircare.validation.fhirpath import EvalEnv
from fhircare.validation.issues import IssueSink
from fhircare.validation.references import BundleIndex
from fhircare.validation.xhtml import Anchors


@dataclass(slots=True)
class Frame:
    """The resource being walked and what surrounds it."""

    resource: dict[str, Any]
    root: dict[str, Any]  # the container, for contained references (%rootResource)
    bundle: BundleIndex | None = None
    full_url: str | None = None
    env: EvalEnv | None = None  # built on the first invariant that needs it
    #: what a narrative's '#fragment' link can point at here (built on the first such link)
    anchors: Anchors | None = None
    #: the frame of the resource this one is contained in (None: not contained)
    container: Frame | None = None
    #: a Bundle entry's resource, walked as that entry, whose entry has no fullUrl
    no_full_url: bool = False
    #: a literal reference (not '#id') was met in the resource: an entry holding one needs a
    #: fullUrl, which its references resolve from
    refers_out: bool = False
    #: paths of base extensible bindings a profile in play replaces (Engine._rebound): the
    #: base walk leaves them to the profile walk
    rebound: frozenset[str] = frozenset()
    #: id(object) → its properties the HL7 validator's JSON reader would not read (unknown,
    #: of the wrong shape, a second type of one choice): an object left with none is empty
    unread: dict[int, set[str]] | None = None

    def not_read(self, obj: dict[str, Any], key: str) -> None:
        """``obj[key]`` is not read (see ``unread``; a walk may meet it more than once)."""
        if self.unread is None:
            self.unread = {}
        self.unread.setdefault(id(obj), set()).add(key)

    def unread_in(self, obj: dict[str, Any]) -> set[str] | tuple[()]:
        """The properties of ``obj`` a reader does not read."""
        return self.unread.get(id(obj), ()) if self.unread is not None else ()

    def read_count(self, obj: dict[str, Any]) -> int:
        """How many properties of ``obj`` a reader reads."""
        return len(obj) - len(self.unread_in(obj))

    def own_anchors(self) -> Anchors:
        if self.anchors is None:
            self.anchors = Anchors.of(self.resource)
        return self.anchors

    def root_anchors(self) -> Anchors:
        """What a '#id' canonical can point at, as the HL7 validator counts targets: any
        element id and narrative anchor of the root resource (a contained resource's '#id'
        points into its container, whose anchors are built once for all its contained)."""
        return self.container.own_anchors() if self.container is not None else self.own_anchors()

    def bundle_anchors(self) -> Anchors | None:
        return self.bundle.anchors() if self.bundle is not None else None


@dataclass(slots=True)
class Walk:
    sink: IssueSink
    frame: Frame
    profile: bool  # False for the base resource's own definition
    walked: set[tuple[int, str]] = field(default_factory=set)
    #: the element whose datatype content is being walked: (element path, type) —
    #: extensions found there check their context against it
    host: tuple[str, str] | None = None
