#!/usr/bin/env python3
"""Generates the local engine's default ONNX models with seeded random weights.

    make-models.py --model resnet50|mobilenet --out FILE [--size 224] [--width 1.0]
                   [--classes 1000] [--seed 1]

The layer shapes are those of the papers: ResNet-50 v1.5 (He et al. 2016, the
stride-2 3x3 convolution of torchvision's "v1.5" bottleneck) and MobileNet v1
(Howard et al. 2017, depthwise separable convolutions, ReLU6). Batch
normalisation is folded into each convolution's bias, as inference runtimes do.
The weights are random (He initialisation, seeded), so the models' accuracy is
meaningless; their compute is that of the real networks. --width scales every
channel count and --size the input, for tiny test models.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 9  # accepted by OpenCV 4.6's ONNX importer, which needs Clip's min/max as attributes (Clip-6)


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []
        self.count = 0

    def name(self, kind):
        self.count += 1
        return f"{kind}_{self.count}"

    def const(self, kind, array):
        n = self.name(kind)
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), n))
        return n

    def conv(self, x, cin, cout, k, stride=1, groups=1):
        fan_in = (cin // groups) * k * k
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(cout, cin // groups, k, k))
        b = np.zeros(cout)
        out = self.name("conv")
        self.nodes.append(helper.make_node(
            "Conv", [x, self.const("w", w), self.const("b", b)], [out],
            kernel_shape=[k, k], strides=[stride, stride], pads=[k // 2] * 4, group=groups))
        return out

    def relu(self, x):
        out = self.name("relu")
        self.nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    def relu6(self, x):
        out = self.name("relu6")
        self.nodes.append(helper.make_node("Clip", [x], [out], min=0.0, max=6.0))
        return out

    def add(self, a, b):
        out = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [out]))
        return out

    def maxpool(self, x):
        out = self.name("maxpool")
        self.nodes.append(helper.make_node("MaxPool", [x], [out], kernel_shape=[3, 3], strides=[2, 2],
                                           pads=[1, 1, 1, 1]))
        return out

    def head(self, x, channels, classes):
        pooled = self.name("pool")
        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
        flat = self.name("flatten")
        self.nodes.append(helper.make_node("Flatten", [pooled], [flat], axis=1))
        w = self.rng.normal(0.0, np.sqrt(1.0 / channels), size=(classes, channels))
        self.nodes.append(helper.make_node("Gemm", [flat, self.const("fc_w", w), self.const("fc_b", np.zeros(classes))],
                                           ["logits"], transB=1))
        return "logits"


def scaled(channels, width):
    return max(8, int(round(channels * width / 8)) * 8) if width != 1.0 else channels


def resnet50(b, width, classes):
    x = b.relu(b.conv("input", 3, scaled(64, width), 7, stride=2))
    x = b.maxpool(x)
    cin = scaled(64, width)
    for planes, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        mid = scaled(planes, width)
        cout = mid * 4
        for i in range(blocks):
            s = stride if i == 0 else 1
            y = b.relu(b.conv(x, cin, mid, 1))
            y = b.relu(b.conv(y, mid, mid, 3, stride=s))  # v1.5: the stride is on the 3x3
            y = b.conv(y, mid, cout, 1)
            shortcut = b.conv(x, cin, cout, 1, stride=s) if (i == 0) else x
            x = b.relu(b.add(y, shortcut))
            cin = cout
    return b.head(x, cin, classes)


def mobilenet(b, width, classes):
    cin = scaled(32, width)
    x = b.relu6(b.conv("input", 3, cin, 3, stride=2))
    for cout, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + \
            [(1024, 2), (1024, 1)]:
        cout = scaled(cout, width)
        x = b.relu6(b.conv(x, cin, cin, 3, stride=stride, groups=cin))  # depthwise
        x = b.relu6(b.conv(x, cin, cout, 1))                             # pointwise
        cin = cout
    return b.head(x, cin, classes)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=["resnet50", "mobilenet"])
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    p.add_argument("--width", type=float, default=1.0, help="channel width multiplier (default 1.0)")
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.size < 32 or a.size % 32 != 0:
        sys.exit("make-models.py: --size must be a multiple of 32, at least 32")
    if not 0 < a.width <= 4:
        sys.exit("make-models.py: --width must be in (0, 4]")
    if a.classes < 1:
        sys.exit("make-models.py: --classes must be positive")

    b = Builder(a.seed)
    (resnet50 if a.model == "resnet50" else mobilenet)(b, a.width, a.classes)
    graph = helper.make_graph(
        b.nodes, f"{a.model}-w{a.width:g}-s{a.size}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, a.size, a.size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, a.classes])],
        initializer=b.inits)
    model = helper.make_model(graph, producer_name="synergai-make-models",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 4
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    params = sum(int(np.prod(t.dims)) for t in b.inits)
    print(f"make-models.py: {a.out}: {a.model} width {a.width:g}, input {a.size}x{a.size}, "
          f"{len(b.nodes)} nodes, {params} parameters")


if __name__ == "__main__":
    main()
