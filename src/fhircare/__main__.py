"""``python -m fhircare``: the same as the ``fhircare`` command."""

from fhircare.cli import main

main()
