"""Identifiers of the leasing app and the bounds of what it takes in: one definition each.

A *code* names a site, path, segment or product (``BAK-AKT``, ``WL100``). A *circuit ID* names a
delivered service: ``TCFO-<product code>-<service number>`` (``TCFO-WL100-000123``), built only
by ``circuit_id``. Every place that reads one (portal and API URLs, usage ingest) takes its
pattern and length from here, so an ID the builder makes is one they all accept.
"""

from __future__ import annotations

#: The longest code (``max_length`` of the code fields).
CODE_MAX_LENGTH = 32
#: A code: capitals, digits and dashes, starting with a capital or digit, 2 to 32 characters.
CODE_PATTERN = rf"[A-Z0-9][A-Z0-9-]{{1,{CODE_MAX_LENGTH - 1}}}"

CIRCUIT_ID_PREFIX = "TCFO-"
#: Service numbers are zero-padded to this many digits (``000123``)...
CIRCUIT_NUMBER_DIGITS = 6
#: ...and grow past them: the millionth service is ``...-1000000``. 19 digits hold any service
#: number the database can give (a 64-bit key, ``DEFAULT_AUTO_FIELD`` is ``BigAutoField``).
CIRCUIT_NUMBER_MAX_DIGITS = len(str(2**63 - 1))
#: The longest circuit ID: the prefix, the longest code, a dash and the longest number (57).
CIRCUIT_ID_MAX_LENGTH = len(CIRCUIT_ID_PREFIX) + CODE_MAX_LENGTH + 1 + CIRCUIT_NUMBER_MAX_DIGITS
#: What an address may carry as a circuit ID: the prefix, then capitals, digits and dashes, at
#: most ``CIRCUIT_ID_MAX_LENGTH`` in all. Loose on purpose: an ID of the right shape that names
#: no service is answered by the view (404 in the API's error format), not by the URL resolver.
CIRCUIT_ID_PATTERN = (
    rf"{CIRCUIT_ID_PREFIX}[A-Z0-9-]{{1,{CIRCUIT_ID_MAX_LENGTH - len(CIRCUIT_ID_PREFIX)}}}"
)

#: The longest note or reason written on an order's or a service's history.
NOTE_MAX_LENGTH = 2000
#: How far from 0 a unit (spectrum slot, tributary slot, port) may be asked for: beyond any band.
UNIT_BOUND = 10_000


def circuit_id(product_code: str, number: int) -> str:
    """The circuit ID of service ``number`` of the product coded ``product_code``.

    Raises ``ValueError`` for a code longer than codes may be or a number of more than
    ``CIRCUIT_NUMBER_MAX_DIGITS`` digits: the URLs and usage ingest would refuse the ID."""
    built = f"{CIRCUIT_ID_PREFIX}{product_code}-{number:0{CIRCUIT_NUMBER_DIGITS}d}"
    if len(product_code) > CODE_MAX_LENGTH or len(str(number)) > CIRCUIT_NUMBER_MAX_DIGITS:
        raise ValueError(f"{built} is longer than a circuit ID may be ({CIRCUIT_ID_MAX_LENGTH}).")
    return built
