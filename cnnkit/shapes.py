"""Output sizes, padding and parameter counts: the arithmetic of a CNN.

The book explains the output-size formulas in the chapter on stride and
padding, and the parameter counts in the chapter on counting parameters.
Every function here counts exactly as Keras and TensorFlow do; the tests
check them against Keras on thousands of layers.
"""

from __future__ import annotations

import numbers

from cnnkit._validation import (
    Padding,
    Pair,
    boolean,
    non_negative_int,
    positive_int,
    positive_pair,
)

__all__ = [
    "kernel_span",
    "output_size",
    "same_padding",
    "padding_amounts",
    "conv2d_params",
    "depthwise_conv2d_params",
    "separable_conv2d_params",
    "dense_params",
    "batchnorm_params",
]


def kernel_span(kernel_size: int, dilation: int = 1) -> int:
    """Length of input a dilated kernel covers along one axis.

    Dilation ``d`` puts ``d - 1`` gaps between neighbouring taps, so a kernel
    of ``k`` taps reaches across ``d * (k - 1) + 1`` pixels. The chapter on
    stride and padding draws it.

    Parameters
    ----------
    kernel_size : int
        Number of taps along the axis, ``k``.
    dilation : int
        Spacing between taps, ``d``; 1 means none.

    Returns
    -------
    int
        ``d * (k - 1) + 1``.

    Examples
    --------
    >>> kernel_span(3)
    3
    >>> kernel_span(3, dilation=2)
    5
    """
    kernel_size = positive_int(kernel_size, "kernel_size")
    dilation = positive_int(dilation, "dilation")
    return dilation * (kernel_size - 1) + 1


def output_size(
    n: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: str | int = "valid",
    dilation: int = 1,
) -> int:
    """Length of the output along one axis of a convolution or pooling.

    Parameters
    ----------
    n : int
        Input length along the axis (height or width).
    kernel_size : int
        Kernel (or pool window) length along the axis.
    stride : int
        Step between neighbouring windows.
    padding : {"valid", "same"} or int
        ``"valid"`` adds nothing, ``"same"`` pads as TensorFlow does so that
        the output has ``ceil(n / stride)`` positions, and an int ``p`` adds
        ``p`` zeros on both sides.
    dilation : int
        Spacing between kernel taps; 1 means none.

    Returns
    -------
    int
        ``floor((n + 2p - d(k - 1) - 1) / s) + 1``, or ``ceil(n / s)`` for
        ``"same"``.

    Examples
    --------
    >>> output_size(5, 3)
    3
    >>> output_size(64, 3, padding=1)
    64
    >>> output_size(28, 3, stride=2, padding="same")
    14
    """
    n = positive_int(n, "n")
    kernel_size = positive_int(kernel_size, "kernel_size")
    stride = positive_int(stride, "stride")
    dilation = positive_int(dilation, "dilation")
    if padding == "same":
        return -(-n // stride)
    if padding == "valid":
        pad = 0
    elif isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        pad = non_negative_int(padding, "padding")
    else:
        raise ValueError(
            f'padding must be "valid", "same" or a non-negative int, got {padding!r}'
        )
    span = kernel_span(kernel_size, dilation)
    if span > n + 2 * pad:
        raise ValueError(
            f"kernel of size {kernel_size}"
            + (f" (dilation {dilation} makes it span {span})" if dilation > 1 else "")
            + f" does not fit input of size {n} with padding={padding!r}"
        )
    return (n + 2 * pad - span) // stride + 1


def same_padding(
    n: int, kernel_size: int, *, stride: int = 1, dilation: int = 1
) -> tuple[int, int]:
    """Zeros TensorFlow adds before and after an axis for ``padding="same"``.

    The total is what it takes for ``ceil(n / stride)`` windows to fit; when
    it is odd, the extra zero goes after (at the bottom or the right).

    Parameters
    ----------
    n : int
        Input length along the axis.
    kernel_size : int
        Kernel length along the axis.
    stride : int
        Step between windows.
    dilation : int
        Spacing between kernel taps.

    Returns
    -------
    (before, after) : tuple of int

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(3, 2)
    (0, 1)
    >>> same_padding(6, 3, stride=2)
    (0, 1)
    """
    n = positive_int(n, "n")
    kernel_size = positive_int(kernel_size, "kernel_size")
    stride = positive_int(stride, "stride")
    dilation = positive_int(dilation, "dilation")
    out = -(-n // stride)
    total = max((out - 1) * stride + kernel_span(kernel_size, dilation) - n, 0)
    return total // 2, total - total // 2


def padding_amounts(
    padding: Padding,
    input_hw: Pair,
    kernel_hw: Pair,
    stride: Pair = 1,
    dilation: Pair = 1,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Turn any padding argument into ``((top, bottom), (left, right))``.

    Parameters
    ----------
    padding : "valid", "same", int, (ph, pw) or ((top, bottom), (left, right))
        The forms ``conv2d`` and ``pool2d`` accept.
    input_hw, kernel_hw, stride, dilation : int or (int, int)
        Height and width of the input, the kernel, the stride and the
        dilation; one int stands for both.

    Returns
    -------
    ((top, bottom), (left, right)) : tuple of pairs of int

    Examples
    --------
    >>> padding_amounts("same", (3, 3), (2, 2))
    ((0, 1), (0, 1))
    >>> padding_amounts("same", (6, 5), 3, stride=2)
    ((0, 1), (1, 1))
    >>> padding_amounts((1, 2), (5, 5), (3, 3))
    ((1, 1), (2, 2))
    """
    sizes = [
        positive_pair(value, name)
        for value, name in (
            (input_hw, "input_hw"),
            (kernel_hw, "kernel_hw"),
            (stride, "stride"),
            (dilation, "dilation"),
        )
    ]
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            rows, cols = (
                same_padding(n, k, stride=s, dilation=d)
                for n, k, s, d in zip(*sizes, strict=True)
            )
            return rows, cols
        raise ValueError(
            f'padding must be "valid", "same", an int or pairs of ints, got {padding!r}'
        )
    if not isinstance(padding, (tuple, list)):
        p = non_negative_int(padding, "padding")
        return (p, p), (p, p)
    if len(padding) != 2:
        raise ValueError(
            "padding must be (rows, cols) or ((top, bottom), (left, right)), "
            f"got {padding!r}"
        )
    axes = []
    for axis in padding:
        if not isinstance(axis, (tuple, list)):
            p = non_negative_int(axis, "padding")
            axes.append((p, p))
        elif len(axis) == 2:
            axes.append(tuple(non_negative_int(side, "padding") for side in axis))
        else:
            raise ValueError(
                f"padding must be ((top, bottom), (left, right)), got {padding!r}"
            )
    rows, cols = axes
    return rows, cols


# Parameter counts -------------------------------------------------------------
#
# A layer's parameters are the numbers an optimiser can change (plus, for batch
# normalisation, two running statistics it cannot). Each function below is one
# formula from the chapter on counting parameters.


def conv2d_params(
    kernel_size: int | tuple[int, int],
    in_channels: int,
    filters: int,
    *,
    use_bias: bool = True,
    groups: int = 1,
) -> int:
    """Number of parameters of a ``Conv2D`` layer.

    Each of the ``filters`` filters has a ``kh x kw x in_channels`` kernel
    (it sees every input channel) and one bias. The chapter on counting
    parameters works through this formula.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
        Height and width of each kernel.
    in_channels : int
        Channels of the input, ``C_in``.
    filters : int
        Number of filters, which is the number of output channels.
    use_bias : bool
        Whether each filter has a bias.
    groups : int
        Keras's grouped convolution: each filter sees ``in_channels / groups``
        channels. 1 (the default) is an ordinary convolution.

    Returns
    -------
    int
        ``(kh * kw * C_in / groups + 1) * filters``, without the ``+ 1`` when
        ``use_bias`` is false.

    Examples
    --------
    A 3 x 3 convolution with 32 filters on an RGB image:

    >>> conv2d_params(3, 3, 32)
    896
    >>> conv2d_params((5, 5), 3, 10, use_bias=False)
    750
    """
    kh, kw = positive_pair(kernel_size, "kernel_size")
    in_channels = positive_int(in_channels, "in_channels")
    filters = positive_int(filters, "filters")
    groups = positive_int(groups, "groups")
    for value, name in ((in_channels, "in_channels"), (filters, "filters")):
        if value % groups:
            raise ValueError(
                f"{name} must be a multiple of groups={groups}, got {value}"
            )
    per_filter = kh * kw * (in_channels // groups) + boolean(use_bias, "use_bias")
    return per_filter * filters


def depthwise_conv2d_params(
    kernel_size: int | tuple[int, int],
    in_channels: int,
    *,
    depth_multiplier: int = 1,
    use_bias: bool = True,
) -> int:
    """Number of parameters of a ``DepthwiseConv2D`` layer.

    Each input channel gets ``depth_multiplier`` kernels of its own, each
    ``kh x kw`` and seeing only that channel, so the layer has
    ``in_channels * depth_multiplier`` output channels, each with a bias.
    See the chapter on counting parameters.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
        Height and width of each kernel.
    in_channels : int
        Channels of the input, ``C_in``.
    depth_multiplier : int
        Kernels per input channel.
    use_bias : bool
        Whether each output channel has a bias.

    Returns
    -------
    int
        ``(kh * kw + 1) * C_in * depth_multiplier``, without the ``+ 1`` when
        ``use_bias`` is false.

    Examples
    --------
    >>> depthwise_conv2d_params(3, 32)
    320
    >>> depthwise_conv2d_params(3, 32, depth_multiplier=2, use_bias=False)
    576
    """
    kh, kw = positive_pair(kernel_size, "kernel_size")
    in_channels = positive_int(in_channels, "in_channels")
    depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
    per_channel = kh * kw + boolean(use_bias, "use_bias")
    return per_channel * in_channels * depth_multiplier


def separable_conv2d_params(
    kernel_size: int | tuple[int, int],
    in_channels: int,
    filters: int,
    *,
    depth_multiplier: int = 1,
    use_bias: bool = True,
) -> int:
    """Number of parameters of a ``SeparableConv2D`` layer.

    A depthwise step (``depth_multiplier`` kernels of ``kh x kw`` per input
    channel, no bias) followed by a pointwise step (a 1 x 1 convolution from
    the ``C_in * depth_multiplier`` depthwise channels to ``filters`` channels,
    with one bias per filter). See the chapter on counting parameters.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
        Height and width of each depthwise kernel.
    in_channels : int
        Channels of the input, ``C_in``.
    filters : int
        Output channels of the pointwise step.
    depth_multiplier : int
        Depthwise kernels per input channel.
    use_bias : bool
        Whether each filter has a bias.

    Returns
    -------
    int
        ``kh * kw * C_in * m + (C_in * m + 1) * filters`` with ``m`` the depth
        multiplier, without the ``+ 1`` when ``use_bias`` is false.

    Examples
    --------
    >>> separable_conv2d_params(3, 32, 64)
    2400
    >>> conv2d_params(3, 32, 64)  # the ordinary convolution it replaces
    18496
    """
    kh, kw = positive_pair(kernel_size, "kernel_size")
    in_channels = positive_int(in_channels, "in_channels")
    filters = positive_int(filters, "filters")
    depth_multiplier = positive_int(depth_multiplier, "depth_multiplier")
    depthwise = kh * kw * in_channels * depth_multiplier
    bias = boolean(use_bias, "use_bias")
    pointwise = (in_channels * depth_multiplier + bias) * filters
    return depthwise + pointwise


def dense_params(n_in: int, units: int, *, use_bias: bool = True) -> int:
    """Number of parameters of a ``Dense`` (fully connected) layer.

    Every one of the ``units`` neurons has a weight for each of the ``n_in``
    inputs and one bias. See the chapter on counting parameters.

    Parameters
    ----------
    n_in : int
        Length of the input vector ``n`` (the last axis of the input).
    units : int
        Number of neurons ``m``.
    use_bias : bool
        Whether each neuron has a bias.

    Returns
    -------
    int
        ``n * m + m``, or ``n * m`` without bias.

    Examples
    --------
    >>> dense_params(16384, 128)
    2097280
    >>> dense_params(128, 2)
    258
    """
    n_in = positive_int(n_in, "n_in")
    units = positive_int(units, "units")
    return n_in * units + (units if boolean(use_bias, "use_bias") else 0)


def batchnorm_params(
    channels: int, *, center: bool = True, scale: bool = True
) -> tuple[int, int]:
    """Trainable and non-trainable parameters of a ``BatchNormalization`` layer.

    Per channel, batch normalisation learns a scale ``gamma`` and a shift
    ``beta`` (trainable) and keeps a running mean and a running variance
    (non-trainable: updated by averaging, not by gradient descent). That is
    4 numbers per channel, 2 of them trainable. See the chapter on counting
    parameters.

    Parameters
    ----------
    channels : int
        Size of the normalised axis (the channels, for the default
        ``axis=-1``).
    center : bool
        Whether the layer learns ``beta``.
    scale : bool
        Whether the layer learns ``gamma``.

    Returns
    -------
    (trainable, non_trainable) : tuple of int
        ``((scale + center) * channels, 2 * channels)``.

    Examples
    --------
    >>> batchnorm_params(32)
    (64, 64)
    >>> sum(batchnorm_params(32))
    128
    >>> batchnorm_params(32, scale=False)
    (32, 64)
    """
    channels = positive_int(channels, "channels")
    learned = boolean(scale, "scale") + boolean(center, "center")
    return learned * channels, 2 * channels
