"""The book's recurring figures: numbers in a grid, kernels, feature maps,
the sliding kernel, the positions a kernel takes, training curves and what a
classifier gets wrong.

Every chapter draws with these, so a picture means the same thing on every
page: an array is shown with its values written in, a kernel on a colour
scale centred at zero (blue negative, red positive), and a figure always has
a title and labelled axes. matplotlib is imported inside each function, so
``import cnnkit`` stays light.

One module per kind of figure, every function importable from here
(``from cnnkit import plotting; plotting.show_maps(...)``):

* :mod:`~cnnkit.plotting.values`: numbers in a grid and kernels
  (:func:`show_values`, :func:`show_kernel`);
* :mod:`~cnnkit.plotting.maps`: images and feature maps (:func:`show_image`,
  :func:`show_maps`, :func:`show_kernel_effects`);
* :mod:`~cnnkit.plotting.positions`: where a kernel goes
  (:func:`conv_animation`, :func:`show_positions`);
* :mod:`~cnnkit.plotting.curves`: training curves (:func:`plot_history`,
  :func:`compare_histories`);
* :mod:`~cnnkit.plotting.confusion`: what a classifier gets wrong
  (:func:`show_confusion`, :func:`show_mistakes`).
"""

from cnnkit.plotting._common import _number as _number  # cnnkit.widgets uses it
from cnnkit.plotting.confusion import show_confusion, show_mistakes
from cnnkit.plotting.curves import compare_histories, plot_history
from cnnkit.plotting.maps import show_image, show_kernel_effects, show_maps
from cnnkit.plotting.positions import conv_animation, show_positions
from cnnkit.plotting.values import show_kernel, show_values

__all__ = [
    "compare_histories",
    "conv_animation",
    "plot_history",
    "show_confusion",
    "show_image",
    "show_kernel",
    "show_kernel_effects",
    "show_maps",
    "show_mistakes",
    "show_positions",
    "show_values",
]
