"""Receptive fields: which input pixels one cell of a layer depends on, layer after layer.

Along one axis, a layer with window k and stride s turns the field r_in and the jump j_in (how
far apart, in input pixels, two neighbouring cells of its input are) into
r_out = r_in + (k - 1) * j_in and j_out = j_in * s (Araujo et al., "Computing receptive fields
of convolutional neural networks", Distill 2019). Padding moves the fields, not their size: the
first cell's field starts start_out = start_in - p_before * j_in pixels from the input's edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnn_core.ops.checks import check_pair
from cnn_core.ops.shapes import conv_output_size, padding_amounts


def receptive_field_step(size: int, jump: int, kernel_size: int, strides: int) -> tuple[int, int]:
    """One layer's (field, jump) along one axis from the previous layer's.

    r_out = r_in + (k - 1) * j_in; j_out = j_in * s. The note's MNIST convnet: the input pixel
    (1, 1), a 3x3 conv (3, 1), a 2x2 pool (4, 2), a conv (8, 2), a pool (10, 4), a conv (18, 4).

    >>> field = (1, 1)
    >>> for k, s in [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)]:
    ...     field = receptive_field_step(*field, k, s)
    ...     print(field)
    (3, 1)
    (4, 2)
    (8, 2)
    (10, 4)
    (18, 4)
    """
    return size + (kernel_size - 1) * jump, jump * strides


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of every cell of one layer on the network's (H, W) input.

    ``size``, ``jump`` and ``start`` are (rows, cols) pairs: cell (row, col) sees the input rows
    start[0] + row * jump[0] ... + size[0] - 1 (and likewise the columns), cut to the input; a
    negative ``start`` means the field reaches into padding.
    """

    name: str
    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]
    output_size: tuple[int, int]  # the layer's (H_out, W_out)
    input_size: tuple[int, int]  # the network's (H, W)
    math: str  # r_out = r_in + (k - 1) * j_in with the numbers, for the rows

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of the input pixels cell (row, col) sees."""
        if not (0 <= row < self.output_size[0] and 0 <= col < self.output_size[1]):
            raise ValueError(f"cell ({row}, {col}) is outside layer {self.name!r}, whose maps are {self.output_size}")
        top, left = self.start[0] + row * self.jump[0], self.start[1] + col * self.jump[1]
        bottom, right = top + self.size[0] - 1, left + self.size[1] - 1
        height, width = self.input_size
        return max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1)


def receptive_field_chain(
    windows: Sequence[tuple[str, object, object, object]], input_size: Sequence[int]
) -> list[ReceptiveField]:
    """The receptive field of each sliding-window layer of a chain, in order.

    ``windows`` holds (name, kernel_size, strides, padding) per layer, as Keras names them; a
    layer that keeps the maps' size and cells (Dropout, an activation) needs no entry. Raises
    ``ValueError`` when a window does not fit its input.

    >>> chain = receptive_field_chain([("conv", 3, 1, "valid"), ("pool", 2, 2, "valid")], (28, 28))
    >>> [(f.name, f.size[0], f.jump[0], f.output_size) for f in chain]
    [('conv', 3, 1, (26, 26)), ('pool', 4, 2, (13, 13))]
    >>> chain[1].box(12, 0), chain[1].math
    ((24, 0, 27, 3), '4 = 3 + (2 - 1) * 1')
    """
    size, jump, start = [1, 1], [1, 1], [0, 0]
    length = [int(input_size[0]), int(input_size[1])]
    fields = []
    for name, kernel_size, strides, padding in windows:
        kernel, stride = check_pair(kernel_size, "kernel_size"), check_pair(strides, "strides")
        math = f"{size[0] + (kernel[0] - 1) * jump[0]} = {size[0]} + ({kernel[0]} - 1) * {jump[0]}"
        for axis in (0, 1):
            before, _ = padding_amounts(length[axis], kernel[axis], stride[axis], padding)
            start[axis] -= before * jump[axis]
            size[axis], jump[axis] = receptive_field_step(size[axis], jump[axis], kernel[axis], stride[axis])
            length[axis] = conv_output_size(length[axis], kernel[axis], stride[axis], padding)
        fields.append(
            ReceptiveField(
                name,
                (size[0], size[1]),
                (jump[0], jump[1]),
                (start[0], start[1]),
                (length[0], length[1]),
                (int(input_size[0]), int(input_size[1])),
                math,
            )
        )
    return fields
