"""cnnkit: the small NumPy engine behind the course.

Everything a chapter computes by hand (convolution, pooling, output sizes,
parameter counts, gradients) lives here in readable, tested form. The core
needs only NumPy; the parts that talk to Keras import TensorFlow inside the
functions that need it, so ``import cnnkit`` stays light.
"""

from cnnkit import datasets, kernels
from cnnkit.activations import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    categorical_cross_entropy,
    categorical_cross_entropy_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
)
from cnnkit.convolution import (
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_naive,
)
from cnnkit.fashion_net import load_fashion_net
from cnnkit.gradcheck import numerical_gradient, rel_error
from cnnkit.pooling import (
    global_pool,
    pool2d,
    pool2d_backward,
    pool2d_backward_naive,
    pool2d_naive,
)
from cnnkit.pretrained import load_pretrained
from cnnkit.shapes import (
    batchnorm_params,
    conv2d_params,
    dense_params,
    depthwise_conv2d_params,
    kernel_span,
    output_size,
    padding_amounts,
    same_padding,
    separable_conv2d_params,
)
from cnnkit.summary import Summary, summarize

__version__ = "0.1.0"
