"""Observation's best-practice recommendations, as the HL7 validator gives them.

Not rules of the specification: an Observation without a subject, a performer or a time is
still valid, but a reader cannot tell whose it is, who said so, or when. The HL7 validator
warns of each (its ObservationValidator), on every Observation, contained ones included;
fhircare gives the same warnings at the same place, so that its warnings and the reference
validator's can be read side by side.
"""

from __future__ import annotations

from typing import Any

from fhircare.validation.issues import IssueSink

_ADVICE = "Best Practice Recommendation: In general, all observations should have "
_EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveTiming", "effectiveInstant")


def check_observation(observation: dict[str, Any], loc: str, sink: IssueSink) -> None:
    if "subject" not in observation:
        sink.warning("business-rule", loc, _ADVICE + "a subject")
    performers = observation.get("performer")
    if not (isinstance(performers, list) and performers):
        sink.warning("business-rule", loc, _ADVICE + "a performer")
    if not any(k in observation for k in _EFFECTIVE):
        sink.warning("business-rule", loc, _ADVICE + "an effective[x] ()")
