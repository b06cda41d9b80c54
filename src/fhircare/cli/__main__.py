"""``python -m fhircare.cli``: the same as the ``fhircare`` script."""

from fhircare.cli import main

main()
