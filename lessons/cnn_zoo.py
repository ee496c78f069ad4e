"""Parameter counts of the famous ImageNet networks of note 002, computed from their layer lists (no weights are
built: VGG-19 alone would take 575 MB of float32).  Lesson 9 prints them as a table.

A convolution with C_in -> C_out channels and a K x K filter has C_out * C_in * K * K weights (+ C_out biases);
a Linear D -> M has D * M weights (+ M biases); a batch norm over C channels has 2 * C (scale and shift).
"""

from __future__ import annotations


def conv(c_in, c_out, k, bias=True):
    return c_out * c_in * k * k + (c_out if bias else 0)


def linear(d_in, d_out):
    return d_in * d_out + d_out


def alexnet():
    """AlexNet (Krizhevsky et al. 2012) in its single-GPU form (as torchvision): 5 conv + 3 FC = 8 layers."""
    convs = conv(3, 64, 11) + conv(64, 192, 5) + conv(192, 384, 3) + conv(384, 256, 3) + conv(256, 256, 3)
    return convs + linear(256 * 6 * 6, 4096) + linear(4096, 4096) + linear(4096, 1000)


VGG19 = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


def vgg19():
    """VGG-19 (Simonyan and Zisserman 2015): 16 conv 3x3 layers + 3 FC = 19 layers, no batch norm."""
    total, c_in = 0, 3
    for c in VGG19:
        if c != "M":
            total, c_in = total + conv(c_in, c, 3), c
    return total + linear(512 * 7 * 7, 4096) + linear(4096, 4096) + linear(4096, 1000)


def resnet152():
    """ResNet-152 (He et al. 2016): a 7x7 stem, bottleneck blocks [3, 8, 36, 3] (1x1, 3x3, 1x1, expansion 4,
    batch norm after every conv, convs without bias, a 1x1 projection shortcut where the shape changes), FC."""
    total = conv(3, 64, 7, bias=False) + 2 * 64
    c_in = 64
    for width, blocks in ((64, 3), (128, 8), (256, 36), (512, 3)):
        for b in range(blocks):
            total += conv(c_in, width, 1, False) + 2 * width + conv(width, width, 3, False) + 2 * width
            total += conv(width, 4 * width, 1, False) + 2 * 4 * width
            if b == 0:                                   # the shortcut projects c_in -> 4 * width
                total += conv(c_in, 4 * width, 1, False) + 2 * 4 * width
            c_in = 4 * width
    return total + linear(2048, 1000)


def layers_with_weights():
    """{name: number of layers with weights} as the papers count depth (conv + FC, pooling not counted)."""
    return {"AlexNet": 5 + 3, "VGG-19": sum(c != "M" for c in VGG19) + 3, "GoogLeNet": 22,
            "ResNet-152": 1 + 3 * (3 + 8 + 36 + 3) + 1}
