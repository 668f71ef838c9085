"""What a summary holds, and how it prints.

A :class:`Summary` is a list of :class:`Row` objects, one a layer, with the
totals. It prints as a table like Keras's ``model.summary()``, renders as an
HTML table in Jupyter, and :meth:`Summary.explain` writes out the working of
every row as the chapter on counting parameters does.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Row", "Summary", "Shape", "shape_text"]

Shape = tuple
"""An output shape with the batch axis first (``None``), as Keras prints it."""


class _Text(str):
    """A string that displays as itself (no quotes) in a notebook or REPL."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Row:
    """One layer of a :class:`Summary`.

    Attributes
    ----------
    name, type : str
        The layer's name and its Keras class name, e.g. ``"conv2d"``,
        ``"Conv2D"``.
    output_shape : tuple
        Output shape with the batch axis first (``None``), as Keras prints it.
    params, trainable, non_trainable : int
        Parameter count and its split; ``params == trainable + non_trainable``.
    inputs : tuple of str
        Names of the layers that feed this one.
    working : tuple of str
        The arithmetic behind the shape and the count, one line each.
    summary : Summary or None
        For a model used as a layer (a pretrained base), its own summary.
    """

    name: str
    type: str
    output_shape: Shape
    params: int
    trainable: int
    non_trainable: int
    inputs: tuple[str, ...] = ()
    working: tuple[str, ...] = ()
    summary: Summary | None = None


class Summary:
    """Layer-by-layer output shapes and parameter counts of a model.

    Made by :func:`summarize`. Index it by position or by layer name, iterate
    over its :class:`Row` objects, print it for a table like
    ``model.summary()``, or call :meth:`explain` for the working.

    Attributes
    ----------
    name : str
        The model's name.
    rows : list of Row
        One row per layer, inputs first.
    input_shapes, output_shapes : list of tuple
        Shapes of the model's inputs and outputs, batch axis first.
    """

    def __init__(
        self,
        rows: Sequence[Row],
        *,
        name: str,
        input_shapes: Sequence[Shape],
        output_shapes: Sequence[Shape],
    ) -> None:
        self.rows = list(rows)
        self.name = name
        self.input_shapes = list(input_shapes)
        self.output_shapes = list(output_shapes)

    @property
    def total_params(self) -> int:
        """Number of parameters, trainable or not (Keras's ``count_params()``)."""
        return self.trainable_params + self.non_trainable_params

    @property
    def trainable_params(self) -> int:
        """Parameters that gradient descent updates."""
        return sum(row.trainable for row in self.rows)

    @property
    def non_trainable_params(self) -> int:
        """Parameters it does not (running statistics, frozen layers)."""
        return sum(row.non_trainable for row in self.rows)

    @property
    def output_shape(self) -> Shape:
        """The output shape of a single-output model."""
        if len(self.output_shapes) != 1:
            raise ValueError(
                f"model {self.name!r} has {len(self.output_shapes)} outputs; "
                "use output_shapes"
            )
        return self.output_shapes[0]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, key: int | str) -> Row:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            raise KeyError(
                f"no layer named {key!r} in model {self.name!r}; the layers are "
                + ", ".join(row.name for row in self.rows)
            )
        return self.rows[key]

    def _totals(self) -> list[str]:
        return [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
        ]

    def __str__(self) -> str:
        header = ("Layer (type)", "Output shape", "Param #", "Trainable", "Non-train.")
        body = [
            (
                f"{row.name} ({row.type})",
                shape_text(row.output_shape),
                f"{row.params:,}",
                f"{row.trainable:,}",
                f"{row.non_trainable:,}",
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(5)]

        def fmt(line):
            left = [line[i].ljust(widths[i]) for i in range(2)]
            right = [line[i].rjust(widths[i]) for i in range(2, 5)]
            return "  ".join(left + right).rstrip()

        rule = "-" * len(fmt(header))
        lines = [f'Model: "{self.name}"', fmt(header), rule]
        lines += [fmt(line) for line in body]
        return "\n".join([*lines, rule, *self._totals()])

    def __repr__(self) -> str:
        return str(self)

    def explain(self) -> str:
        """Show the working for every layer, numbers substituted in the formulas.

        This is the arithmetic of the chapter on counting parameters, written
        out for any model.

        Returns
        -------
        str
            One heading per layer (name, type, output shape, parameters)
            followed by the arithmetic that gives them, then the totals. The
            string displays without quotes in a notebook, so ``s.explain()``
            and ``print(s.explain())`` both read well.

        Examples
        --------
        >>> from cnnkit import summarize
        >>> s = summarize(
        ...     [("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
        ...      ("BatchNormalization", {}),
        ...      ("MaxPooling2D", {"pool_size": 2}),
        ...      "Flatten",
        ...      ("Dense", {"units": 2})],
        ...     input_shape=(64, 64, 3))
        >>> s.explain()
        input_layer (InputLayer): output (None, 64, 64, 3), 0 params
            the input: 64 x 64 x 3
        conv2d (Conv2D): output (None, 64, 64, 32), 896 params
            height and width: ceil(64 / 1) = 64 with padding="same", which adds 1 + 1:
                floor((64 - 3 + 2*1) / 1) + 1 = 64
            channels: 32, one per filter
            params: (3 x 3 x 3 + 1) x 32 = 896
        batch_normalization (BatchNormalization): output (None, 64, 64, 32), 128 params
            output: same shape as the input
            params: 4 x 32 = 128, of which 2 x 32 = 64 trainable (gamma, beta)
                and 2 x 32 = 64 non-trainable (moving mean and variance)
        max_pooling2d (MaxPooling2D): output (None, 32, 32, 32), 0 params
            height and width: floor((64 - 2 + 2*0) / 2) + 1 = 32
            params: 0 (pooling has no weights)
        flatten (Flatten): output (None, 32768), 0 params
            length: 32 x 32 x 32 = 32,768
            params: 0 (flattening only rearranges)
        dense (Dense): output (None, 2), 65,538 params
            params: 32768 x 2 + 2 = 65,538
        Total params: 66,562
        Trainable params: 66,498
        Non-trainable params: 64
        """
        lines = []
        previous = None
        for row in self.rows:
            lines.append(
                f"{row.name} ({row.type}): output {shape_text(row.output_shape)}, "
                f"{row.params:,} params"
            )
            if row.inputs and (len(row.inputs) > 1 or row.inputs[0] != previous):
                lines.append("    from: " + ", ".join(row.inputs))
            lines += ["    " + line for line in row.working]
            previous = row.name
        return _Text("\n".join(lines + self._totals()))

    def _repr_html_(self) -> str:
        """A table of the layers with their working, for Jupyter."""
        esc = html.escape
        head = "".join(
            f"<th style='text-align:{align}'>{title}</th>"
            for title, align in [
                ("Layer (type)", "left"),
                ("Output shape", "left"),
                ("Param #", "right"),
                ("Trainable", "right"),
                ("Non-trainable", "right"),
                ("Working", "left"),
            ]
        )
        body = []
        for row in self.rows:
            working = "<br>".join(
                esc(line).replace("    ", "&nbsp;" * 4) for line in row.working
            )
            body.append(
                "<tr>"
                f"<td style='text-align:left'>{esc(row.name)} ({esc(row.type)})</td>"
                f"<td style='text-align:left'><code>"
                f"{esc(shape_text(row.output_shape))}</code></td>"
                f"<td style='text-align:right'>{row.params:,}</td>"
                f"<td style='text-align:right'>{row.trainable:,}</td>"
                f"<td style='text-align:right'>{row.non_trainable:,}</td>"
                f"<td style='text-align:left;font-family:monospace'>{working}</td>"
                "</tr>"
            )
        foot = "<br>".join(esc(line) for line in self._totals())
        return (
            f"<div><p><b>Model: {esc(self.name)}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            f"</tbody></table><p>{foot}</p></div>"
        )


def shape_text(shape: Shape | list[Shape]) -> str:
    """``(None, 28, 28, 1)`` as Keras prints it; a list for a multi-output layer."""
    if isinstance(shape, list):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"
