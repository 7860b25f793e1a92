"""Reading an answer as a learner types it ("3", " 1.50 ", "(1, 1)", "１，１") and comparing it with the right one.

The rules are strict about content and forgiving about form: only numbers count (no units, no
words, no fractions, no exponents), but spaces, one pair of brackets, commas or spaces between
numbers, a unicode or full-width minus, full-width digits (a Korean keyboard's) and thousands
commas in a single number ("18,496") are all fine. Text longer than ``MAX_CHARS`` is refused
before it is looked at, so any input is read in bounded time, and nothing here raises.
"""

from __future__ import annotations

import math
import re
import unicodedata

# An answer is a few short numbers; a longer text is refused unread.
MAX_CHARS = 64
# Half a unit of the second decimal: decimal answers here have at most 2 decimals.
DECIMAL_TOLERANCE = 0.005

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_SEPARATOR = re.compile(r"\s*,\s*|\s+")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}
# Minus signs that NFKC leaves alone: the unicode minus and the dashes people type for it.
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})


def normalize(text: str) -> str:
    """NFKC (full-width digits and commas become ASCII), unicode minus -> "-", stripped, outer brackets off.

    >>> normalize(" (１，−２) ")
    '1,-2'
    >>> normalize("[3]")
    '3'
    """
    text = unicodedata.normalize("NFKC", text).translate(_MINUSES).strip()
    if len(text) >= 2 and _BRACKETS.get(text[0]) == text[-1]:
        text = text[1:-1].strip()
    return text


def parse_numbers(text) -> tuple[float, ...] | None:
    """The numbers of a typed answer, separated by commas and/or spaces; None unless it is only numbers.

    >>> parse_numbers("1, 1"), parse_numbers("(0,1)"), parse_numbers("1 2"), parse_numbers("−2.50")
    ((1.0, 1.0), (0.0, 1.0), (1.0, 2.0), (-2.5,))
    >>> parse_numbers("3 pixels"), parse_numbers("1,,1"), parse_numbers(""), parse_numbers("nan")
    (None, None, None, None)
    """
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        return None
    text = normalize(text)
    parts = _SEPARATOR.split(text) if text else []
    if not parts or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    return tuple(float(part) for part in parts)


def parse_number(text) -> float | None:
    """One typed number, thousands commas allowed ("18,496"); None unless the text is exactly one number.

    >>> parse_number(" 18,496 "), parse_number("３"), parse_number("1.50"), parse_number("1, 1")
    (18496.0, 3.0, 1.5, None)
    """
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        return None
    if _GROUPED.fullmatch(normalize(text)):
        return float(normalize(text).replace(",", ""))
    numbers = parse_numbers(text)
    return numbers[0] if numbers is not None and len(numbers) == 1 else None


def read_as(answer, text):
    """``text`` read in the shape of ``answer`` (a number, or a tuple of that many numbers); None if it isn't.

    >>> read_as((1, 1), "(1, 2)"), read_as((1, 1), "1"), read_as(4, "4.0"), read_as(4, "4 4")
    ((1.0, 2.0), None, 4.0, None)
    """
    if isinstance(answer, tuple):
        numbers = parse_numbers(text)
        return numbers if numbers is not None and len(numbers) == len(answer) else None
    return parse_number(text)


def close_to(answer: float, value: float) -> bool:
    """Whether a typed ``value`` is ``answer``: exactly for an int, within ``DECIMAL_TOLERANCE`` for a decimal.

    >>> close_to(3, 3.0), close_to(3, 3.001), close_to(2.75, 2.75), close_to(2.75, 2.8), close_to(1.5, 1.504)
    (True, False, True, False, True)
    """
    if not math.isfinite(value):
        return False
    if float(answer).is_integer():
        return value == answer
    return abs(value - answer) <= DECIMAL_TOLERANCE + 1e-12  # 1e-12: in floats 0.255 - 0.25 is 0.0050000000000000044.


def matches(answer, text) -> bool:
    """Whether typed ``text`` is ``answer`` (a number or a tuple of numbers); False for anything else.

    >>> matches((1, 1), "1,1"), matches((1, 1), "[1 1]"), matches((0, 1), "1, 0"), matches(320, "320 params")
    (True, True, False, False)
    """
    value = read_as(answer, text)
    if value is None:
        return False
    if isinstance(answer, tuple):
        return all(close_to(a, v) for a, v in zip(answer, value))
    return close_to(answer, value)
