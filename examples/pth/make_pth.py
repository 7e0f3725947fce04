#!/usr/bin/env python3
"""Write the small PyTorch checkpoints models/pth_test.go reads (models/testdata/pth/).

Run from the repository root with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 examples/pth/make_pth.py models/testdata/pth

Files (torch.save's default zip format, pickle protocol 2):
  tensors.pth     dtypes and layouts: float32 contiguous, a transposed view, a view
                  with a storage offset, two views sharing one storage, float64,
                  float16, bfloat16, int64, bool and a 0-d tensor.
  unet_small.pth  state_dict of a U-Net built exactly like BiaPy's (feature maps
                  [4, 8], BatchNorm, ELU, convtranspose, 1 channel in and out), with
                  non-trivial BatchNorm statistics; the Go test loads it into
                  models.NewUNet(UNetOptions{FeatureMaps: []int{4, 8}}).
  unet_small_io.pth {"input": [1,1,16,16], "output": eval-mode output of that U-Net}.
  biapy_ckpt.pth  a BiaPy-style checkpoint of the same U-Net saved through
                  nn.DataParallel ("module." keys) under "model", with a real AdamW
                  "optimizer" state, "epoch": "best", a dict-subclass "cfg" (as
                  yacs' CfgNode) and "biapy_version".
"""
import os
import sys

import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    """BiaPy's ConvBlock: conv ('same'), BatchNorm, ELU, in a Sequential named block."""

    def __init__(self, cin, cout):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ELU())

    def forward(self, x):
        return self.block(x)


class DoubleConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.block = nn.Sequential(ConvBlock(cin, cout), ConvBlock(cout, cout))

    def forward(self, x):
        return self.block(x)


class UpBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.up = nn.Sequential(nn.ConvTranspose2d(cin, cout, 2, stride=2), nn.BatchNorm2d(cout), nn.ELU())
        self.conv_block = DoubleConvBlock(2 * cout, cout)

    def forward(self, x, skip):
        return self.conv_block(torch.cat([self.up(x), skip], dim=1))


class UNet(nn.Module):
    """BiaPy's U-Net (biapy/models/unet.py) for feature maps [4, 8]."""

    def __init__(self):
        super().__init__()
        self.down_path = nn.ModuleList([DoubleConvBlock(1, 4)])
        self.mpooling_layers = nn.ModuleList([nn.MaxPool2d(2)])
        self.bottleneck = DoubleConvBlock(4, 8)
        self.up_path = nn.ModuleList([UpBlock(8, 4)])
        self.last_block = nn.Conv2d(4, 1, 1)

    def forward(self, x):
        skip = self.down_path[0](x)
        x = self.bottleneck(self.mpooling_layers[0](skip))
        return self.last_block(self.up_path[0](x, skip))


class CfgNode(dict):
    """Stands in for yacs.config.CfgNode (a dict subclass with attributes)."""


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8 - 1
    shared = torch.arange(10, dtype=torch.float32) * 0.5
    tensors = {
        "f32": torch.tensor([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]]),
        "transposed": base.t(),                      # [6, 4], strides (1, 6)
        "offset_view": base[1:, 2:5],                # [3, 3], offset 8, strides (6, 1)
        "shared_a": shared[2:6],                     # two views of one storage
        "shared_b": shared.view(2, 5)[:, ::2],       # [2, 3], strides (5, 2)
        "f64": torch.tensor([[0.1, -0.2], [1e10, 3.0]], dtype=torch.float64),
        "f16": torch.tensor([1.0, -0.5, 65504.0, 6.1035e-05, 5.96e-08], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.5, 1e30, 0.0078125], dtype=torch.bfloat16),
        "i64": torch.tensor([0, -3, 1 << 20, 123456], dtype=torch.int64),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),
    }
    assert not tensors["transposed"].is_contiguous()
    torch.save(tensors, os.path.join(out, "tensors.pth"))

    net = UNet()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.num_batches_tracked.fill_(7)
    net.eval()
    torch.save(net.state_dict(), os.path.join(out, "unet_small.pth"))
    x = torch.randn(1, 1, 16, 16)
    with torch.no_grad():
        y = net(x)
    torch.save({"input": x, "output": y}, os.path.join(out, "unet_small_io.pth"))

    # A BiaPy-style checkpoint, saved through DataParallel ("module." keys), after
    # one AdamW step so that the optimizer state holds tensors.
    dp = nn.DataParallel(net)
    opt = torch.optim.AdamW(dp.parameters(), lr=1e-4)
    state = {k: v.clone() for k, v in dp.state_dict().items()}
    dp.train()
    dp(x).abs().mean().backward()
    opt.step()
    dp.load_state_dict(state)  # keep the weights equal to unet_small.pth
    cfg = CfgNode(MODEL=CfgNode(ARCHITECTURE="unet", FEATURE_MAPS=[4, 8]), PROBLEM=CfgNode(TYPE="SELF_SUPERVISED", NDIM="2D"))
    ckpt = {
        "model_build_kwargs": {"feature_maps": [4, 8], "output_channels": [1], "z_down": (2,)},
        "model": dp.state_dict(),
        "optimizer": opt.state_dict(),
        "epoch": "best",
        "cfg": cfg,
        "biapy_version": "3.5.13",
    }
    torch.save(ckpt, os.path.join(out, "biapy_ckpt.pth"))
    print("torch", torch.__version__, "wrote", sorted(os.listdir(out)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "models/testdata/pth")
