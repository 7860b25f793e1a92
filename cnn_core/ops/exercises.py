"""Exercises drawn from a seed: a question on one op's arithmetic, its answer from the ops, and the working.

Each kind in ``EXERCISE_KINDS`` is a question a learner can work out by hand, answered by the
engine's own functions:

1. ``output_size``: input_size, kernel_size, strides, padding -> the output length (``conv_output_size``);
2. ``same_padding``: input_size, kernel_size, strides -> (zeros before, zeros after) (``same_padding``);
3. ``conv_cell``: patch, kernel, bias, activation -> the output cell (``conv2d``, then ReLU);
4. ``pool_cell``: window, mode -> the pooled value (``pool2d``);
5. ``param_count``: kernel_size, in_channels, filters -> (k*k*c + 1) * f (``conv_param_count``).

``make_exercise(kind, seed)`` draws the numbers from ``numpy.random.default_rng`` seeded with the
kind and the seed, so a seed (in a teacher's link: ``exercise_token``) always gives the same
question. A draw that would make a poor question (nothing to work out) is drawn again from the same
generator. How each kind draws, solves, asks and shows its working is in ``exercise_kinds``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from cnn_core.i18n import DEFAULT_LANGUAGE, N_, LabError
from cnn_core.ops.answers import matches, read_as
from cnn_core.ops.exercise_kinds import RULES, WorkedStep
from cnn_core.ops.formulas import format_value

EXERCISE_KINDS = tuple(RULES)  # output_size, same_padding, conv_cell, pool_cell, param_count
# Seeds are unsigned 32-bit ints: enough for any class, and a token stays short (at most 10 digits).
MAX_SEED = 2**32 - 1
# Every kind accepts most draws; this bound only keeps a loop from being unbounded.
MAX_DRAWS = 1000


class Params(Mapping):
    """An exercise's numbers: a read-only, hashable mapping of plain ints, strings, None and int grids.

    ``dict(params)`` is JSON-ready (a grid is a tuple of row tuples).
    """

    __slots__ = ("_values",)

    def __init__(self, **values):
        self._values = values

    def __getitem__(self, name):
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"Params({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


@dataclass(frozen=True)
class Exercise:
    """One question: its numbers, the prompt in ``language``, the answer and the working.

    ``params`` holds every number the question uses (named in the list of kinds above);
    ``answer`` is an int, a float with at most 2 decimals, or a tuple of ints; ``worked`` is the
    working, one ``WorkedStep`` (words, plain math, LaTeX) per line.
    """

    kind: str
    seed: int | None  # None for an exercise built from a page's numbers (``exercise_for``)
    language: str
    params: Params
    prompt: str
    answer: int | float | tuple[int, ...]
    worked: tuple[WorkedStep, ...]

    @property
    def answer_text(self) -> str:
        """The answer as it is shown: "4", "2.75", "(1, 2)"."""
        if isinstance(self.answer, tuple):
            return f"({', '.join(str(v) for v in self.answer)})"
        return format_value(self.answer)


def make_exercise(kind: str, seed: int, language: str = DEFAULT_LANGUAGE) -> Exercise:
    """The exercise of ``kind`` (one of ``EXERCISE_KINDS``) drawn from ``seed`` (0..``MAX_SEED``), in ``language``.

    >>> exercise = make_exercise("param_count", 7)
    >>> exercise == make_exercise("param_count", 7), check_answer(exercise, exercise.answer_text)
    (True, True)
    """
    if not isinstance(kind, str) or kind not in EXERCISE_KINDS:
        raise LabError(
            N_("Unknown exercise kind {kind}; choose one of {kinds}."),
            kind=_shown(kind),
            kinds=", ".join(EXERCISE_KINDS),
        )
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise LabError(
            N_("An exercise's seed must be a whole number from 0 to {max_seed}, got {seed}."),
            max_seed=MAX_SEED,
            seed=_shown(seed),
        )
    rules = RULES[kind]
    params = _draw(rules.draw, np.random.default_rng([zlib.crc32(kind.encode()), int(seed)]))
    answer = rules.solve(params)
    return Exercise(
        kind=kind,
        seed=int(seed),
        language=language,
        params=params,
        prompt=rules.ask(params, language),
        answer=answer,
        worked=tuple(rules.work(params, answer, language)),
    )


# The numbers each kind takes, in the order of the list of kinds above.
PARAM_NAMES = {
    "output_size": ("input_size", "kernel_size", "strides", "padding"),
    "same_padding": ("input_size", "kernel_size", "strides"),
    "conv_cell": ("patch", "kernel", "bias", "activation"),
    "pool_cell": ("window", "mode"),
    "param_count": ("kernel_size", "in_channels", "filters"),
}


def exercise_for(kind: str, language: str = DEFAULT_LANGUAGE, **params) -> Exercise:
    """The exercise of ``kind`` with the given numbers (what a page shows), answered and worked as a drawn one.

    ``params`` are the kind's names (``PARAM_NAMES``); grids are whole numbers (any nested
    sequence or array), a bias has at most 2 decimals. The exercise has no seed (``seed`` is
    None), so it has no token. ``LabError`` when the numbers do not make the question: a name
    missing or unknown, a grid that is not whole numbers, a window that does not fit.

    >>> exercise = exercise_for("output_size", input_size=5, kernel_size=3, strides=2, padding="valid")
    >>> exercise.answer, exercise.seed, check_answer(exercise, "2")
    (2, None, True)
    >>> exercise_for("conv_cell", patch=[[1, 0], [2, 1]], kernel=[[1, 1], [-1, 0]], bias=-1.5, activation="relu").answer
    0
    """
    if not isinstance(kind, str) or kind not in EXERCISE_KINDS:
        raise LabError(
            N_("Unknown exercise kind {kind}; choose one of {kinds}."),
            kind=_shown(kind),
            kinds=", ".join(EXERCISE_KINDS),
        )
    if set(params) != set(PARAM_NAMES[kind]):
        raise LabError(
            N_("An exercise of kind {kind} takes the numbers {names}."), kind=kind, names=", ".join(PARAM_NAMES[kind])
        )
    values = {name: _plain(name, params[name]) for name in PARAM_NAMES[kind]}
    rules = RULES[kind]
    try:
        answer = rules.solve(values)
    except LabError:
        raise
    except ValueError as exc:
        raise LabError(N_("These numbers do not make the question: {reason}"), reason=str(exc)) from exc
    values = Params(**values)
    return Exercise(
        kind=kind,
        seed=None,
        language=language,
        params=values,
        prompt=rules.ask(values, language),
        answer=answer,
        worked=tuple(rules.work(values, answer, language)),
    )


def _plain(name: str, value):
    """One of a page's numbers as an exercise keeps it: grids as row tuples of ints, numbers as ints where whole."""
    if name in ("patch", "kernel", "window"):
        grid = np.asarray(value, dtype=np.float64)
        if grid.ndim != 2 or not grid.size or not np.all(np.isfinite(grid)) or not np.all(grid == np.round(grid)):
            raise LabError(N_("The {name} of an exercise must be a grid of whole numbers."), name=name)
        return tuple(tuple(int(v) for v in row) for row in grid)
    if value is None or isinstance(value, str):
        return value  # a padding ("valid", "same"), an activation ("relu", None), a mode ("max")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        number = round(float(value), 2)
        if not np.isfinite(number):
            raise LabError(N_("The {name} of an exercise must be a number."), name=name)
        return int(number) if number.is_integer() else number
    raise LabError(N_("The {name} of an exercise must be a number."), name=name)


def check_answer(exercise: Exercise, text: str) -> bool:
    """Whether ``text``, as typed ("3", " 1.50 ", "(1, 1)", "１，１"), is the exercise's answer; never raises.

    >>> exercise = make_exercise("same_padding", 3)
    >>> exercise.answer, check_answer(exercise, "[0 1]"), check_answer(exercise, "1, 0")
    ((0, 1), True, False)
    """
    return matches(exercise.answer, text)


def read_answer(exercise: Exercise, text: str):
    """``text`` read in the answer's shape (a float, or a tuple of floats); None if it is not numbers in that shape.

    A page can tell "type a number" (None) from "wrong" (read, but not ``check_answer``); never raises.

    >>> exercise = make_exercise("same_padding", 3)
    >>> read_answer(exercise, "(0, 1)"), read_answer(exercise, "1"), read_answer(exercise, "two")
    ((0.0, 1.0), None, None)
    """
    return read_as(exercise.answer, text)


def exercise_token(exercise: Exercise) -> str:
    """A short, URL-safe code of the exercise (kind and seed), e.g. "output_size-1234"; the language is not in it.

    An exercise from a page's numbers (``exercise_for``) has no seed and so no token: ``ValueError``.
    """
    if exercise.seed is None:
        raise ValueError("an exercise built from given numbers has no seed, and so no token")
    return f"{exercise.kind}-{exercise.seed}"


_TOKEN = re.compile(r"([a-z_]{1,20})-(0|[1-9][0-9]{0,9})", re.ASCII)


def exercise_from_token(token: str, language: str = DEFAULT_LANGUAGE) -> Exercise:
    """The exercise an ``exercise_token`` names; ``LabError`` for anything else (any type, any length).

    >>> exercise_from_token("output_size-1234") == make_exercise("output_size", 1234)
    True
    """
    match = _TOKEN.fullmatch(token) if isinstance(token, str) and len(token) <= 32 else None
    if match is None or match[1] not in EXERCISE_KINDS or int(match[2]) > MAX_SEED:
        raise LabError(
            N_(
                "The exercise code {token} cannot be opened: it should look like output_size-1234, "
                "a kind ({kinds}), a dash and a seed from 0 to {max_seed}."
            ),
            token=_shown(token),
            kinds=", ".join(EXERCISE_KINDS),
            max_seed=MAX_SEED,
        )
    return make_exercise(match[1], int(match[2]), language)


def _draw(draw, rng: np.random.Generator) -> Params:
    """The first acceptable draw (``draw`` returns None for a poor one) from ``rng``."""
    for _ in range(MAX_DRAWS):
        values = draw(rng)
        if values is not None:
            return Params(**values)
    raise RuntimeError(f"no acceptable exercise in {MAX_DRAWS} draws")  # Each kind accepts most draws.


def _shown(value) -> str:
    """A received value, short enough for an error message whatever it is (a huge text, a huge int)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 32 else repr(value[:32]) + "..."
    if isinstance(value, (int, np.integer)) and abs(int(value)) < 10**32:
        return repr(int(value))
    return f"a value of type {type(value).__name__}"
