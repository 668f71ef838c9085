"""Tests for cnnkit.summary.result: how a summary prints, renders and is indexed."""

from __future__ import annotations

import pytest
from _summary_reference import AWAKE, MNIST

from cnnkit.summary import Row, summarize


def test_explain_shows_the_arithmetic_of_the_awake_drowsy_model():
    text = summarize(AWAKE, input_shape=(64, 64, 3)).explain()
    for line in [
        "conv2d (Conv2D): output (None, 64, 64, 32), 896 params",
        'height and width: ceil(64 / 1) = 64 with padding="same", which adds 1 + 1:',
        "floor((64 - 3 + 2*1) / 1) + 1 = 64",
        "params: (3 x 3 x 3 + 1) x 32 = 896",
        "height and width: floor((64 - 2 + 2*0) / 2) + 1 = 32",
        "params: 0 (pooling has no weights)",
        "params: (3 x 3 x 32 + 1) x 64 = 18,496",
        "length: 16 x 16 x 64 = 16,384",
        "params: 16384 x 128 + 128 = 2,097,280",
        "params: 0 (dropout has no weights)",
        "params: 128 x 2 + 2 = 258",
        "Total params: 2,116,930",
    ]:
        assert line in text
    assert isinstance(text, str) and repr(text) == str(text)  # no quotes in Jupyter


def test_summary_prints_as_a_table_and_renders_html():
    s = summarize(MNIST, input_shape=(28, 28, 1))
    text = str(s)
    assert text.splitlines()[0] == 'Model: "sequential"'
    assert "conv2d_1 (Conv2D)" in text and "11,300" in text
    assert text.endswith("Non-trainable params: 0")
    assert repr(s) == text
    page = s._repr_html_()
    assert page.count("<tr>") == len(s) + 1 and "(3 x 3 x 25 + 1) x 50 = 11,300" in page
    odd = summarize([("Dense", {"units": 2, "name": "a<b>"})], input_shape=(3,))
    assert "a&lt;b&gt; (Dense)" in odd._repr_html_()


def test_summary_indexing():
    s = summarize(MNIST, input_shape=(28, 28, 1))
    assert isinstance(s[0], Row) and s[0].type == "InputLayer"
    assert s["dense_1"] is s[-1] and len(s) == len(list(s)) == 8
    with pytest.raises(KeyError, match="no layer named 'dense_2'"):
        s["dense_2"]
