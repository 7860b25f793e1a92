"""Reading a figure's text twin (the expander "The numbers in this figure") back into cells."""

from __future__ import annotations

TWIN_LABELS = ("The numbers in this figure", "이 그림의 숫자")


def twins(at) -> list:
    """Every figure twin on the page, in page order."""
    return [e for e in at.expander if e.label in TWIN_LABELS]


def tables(twin) -> list[list[list[str]]]:
    """Each markdown table in ``twin``: its header row, then its body rows, each a list of cell texts."""
    found = []
    for markdown in twin.markdown:
        for block in markdown.value.split("\n\n"):  # a markdown element may hold several tables
            lines = block.strip().splitlines()
            if len(lines) > 1 and lines[1].startswith("|---"):
                found.append([_cells(line) for line in lines if not line.startswith("|---")])
    return found


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().removeprefix("|").removesuffix("|").split(" | ")]
