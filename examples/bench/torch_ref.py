#!/usr/bin/env python3
"""PyTorch reference for examples/bench: one CPU training step (forward, loss,
backward, AdamW) of the models of issue 8 at the same shapes, printing the same line:

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 examples/bench/torch_ref.py -model unet2d_256_b8 -threads 2 -steps 5

The models are minimal re-implementations with BiaPy's layer structure (same convs,
norms, activations, hence the same FLOPs): U-Net (biapy/models/unet.py), EDSR, RCAN
(as models/edsr.go and models/rcan.go build them) and MaskedAutoencoderViT with timm
blocks. GFLOP per step is the issue's table value, as in main.go.
"""
import argparse
import os
import resource
import statistics
import time

# Before torch loads OpenBLAS: its AVX-512 kernels, and as many BLAS threads as -threads.
os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
_ap = argparse.ArgumentParser()
_ap.add_argument("-model", default="unet2d_256_b8")
_ap.add_argument("-threads", type=int, default=2)
_ap.add_argument("-steps", type=int, default=5)
_ap.add_argument("-warmup", type=int, default=2)
ARGS = _ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))
os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ---------------------------------------------------------------- U-Net (BiaPy)
def conv_block(ndim, cin, cout):
    Conv = nn.Conv2d if ndim == 2 else nn.Conv3d
    BN = nn.BatchNorm2d if ndim == 2 else nn.BatchNorm3d
    return nn.Sequential(Conv(cin, cout, 3, padding="same"), BN(cout), nn.ELU())


def double_conv(ndim, cin, cout):
    return nn.Sequential(conv_block(ndim, cin, cout), conv_block(ndim, cout, cout))


class UpBlock(nn.Module):
    def __init__(self, ndim, cin, cout):
        super().__init__()
        CT = nn.ConvTranspose2d if ndim == 2 else nn.ConvTranspose3d
        BN = nn.BatchNorm2d if ndim == 2 else nn.BatchNorm3d
        self.up = nn.Sequential(CT(cin, cout, 2, stride=2), BN(cout), nn.ELU())
        self.conv_block = double_conv(ndim, 2 * cout, cout)

    def forward(self, x, skip):
        return self.conv_block(torch.cat([self.up(x), skip], 1))


class UNet(nn.Module):
    def __init__(self, ndim, fm=(16, 32, 64, 128, 256), cin=1):
        super().__init__()
        Pool = nn.MaxPool2d if ndim == 2 else nn.MaxPool3d
        Conv = nn.Conv2d if ndim == 2 else nn.Conv3d
        self.down_path = nn.ModuleList()
        c = cin
        for f in fm[:-1]:
            self.down_path.append(double_conv(ndim, c, f))
            c = f
        self.pool = Pool(2)
        self.bottleneck = double_conv(ndim, c, fm[-1])
        c = fm[-1]
        self.up_path = nn.ModuleList()
        for f in reversed(fm[:-1]):
            self.up_path.append(UpBlock(ndim, c, f))
            c = f
        self.last_block = Conv(c, cin, 1)

    def forward(self, x):
        skips = []
        for d in self.down_path:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for u, s in zip(self.up_path, reversed(skips)):
            x = u(x, s)
        return self.last_block(x)


# ---------------------------------------------------------------- EDSR, RCAN
def conv3(cin, cout, k=3):
    return nn.Conv2d(cin, cout, k, padding=k // 2)


class EDSRBlock(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.conv1, self.conv2 = conv3(f, f), conv3(f, f)

    def forward(self, x):
        return x + self.conv2(self.conv1(x))


class EDSR(nn.Module):
    def __init__(self, f=64, nb=16, ch=1):
        super().__init__()
        self.first = conv3(ch, f)
        self.resblock = nn.Sequential(*[EDSRBlock(f) for _ in range(nb)])
        self.last = conv3(f, f)
        self.up1 = conv3(f, f)  # scale 1: F·1² channels, no PixelShuffle
        self.out = conv3(f, ch)

    def forward(self, x):
        skip = self.first(x)
        y = self.resblock(skip) + self.last(skip)
        return self.out(self.up1(y))


class RCAB(nn.Module):
    def __init__(self, f, r):
        super().__init__()
        self.conv1, self.conv2 = conv3(f, f), conv3(f, f)
        self.down, self.up = nn.Conv2d(f, f // r, 1), nn.Conv2d(f // r, f, 1)

    def forward(self, x):
        y = self.conv2(F.silu(self.conv1(x)))
        a = torch.sigmoid(self.up(F.silu(self.down(F.adaptive_avg_pool2d(y, 1)))))
        return x + y * a


class RG(nn.Module):
    def __init__(self, f, r, nb):
        super().__init__()
        self.body = nn.Sequential(*[RCAB(f, r) for _ in range(nb)])
        self.conv = conv3(f, f)

    def forward(self, x):
        return x + self.conv(self.body(x))


class RCAN(nn.Module):
    def __init__(self, f=16, ng=10, nb=20, r=16, ch=1):
        super().__init__()
        self.sf = conv3(ch, f)
        self.rgs = nn.Sequential(*[RG(f, r, nb) for _ in range(ng)])
        self.conv1 = conv3(f, f)
        self.upscale = conv3(f, f)  # scale 1
        self.conv2 = conv3(f, ch)

    def forward(self, x):
        res = self.sf(x)
        y = self.conv1(self.rgs(res)) + res
        return self.conv2(self.upscale(y))


# ---------------------------------------------------------------- MAE (timm blocks)
class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.scale = (d // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x):
        b, l, d = x.shape
        qkv = self.qkv(x).reshape(b, l, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        att = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, l, d))


class Block(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=1e-6), nn.LayerNorm(d, eps=1e-6)
        self.attn = Attention(d, heads)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class MAE(nn.Module):
    def __init__(self, img=256, p=16, ch=1, d=768, depth=12, heads=12, dd=512, ddepth=8, dheads=16, ratio=4):
        super().__init__()
        self.p, self.g = p, img // p
        L = self.g * self.g
        self.patch_embed = nn.Conv2d(ch, d, p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d).normal_(std=0.02))
        self.pos_embed = nn.Parameter(torch.zeros(1, L + 1, d).normal_(std=0.02), requires_grad=False)
        self.blocks = nn.ModuleList([Block(d, heads, int(d * ratio)) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.decoder_embed = nn.Linear(d, dd)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dd).normal_(std=0.02))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, L + 1, dd).normal_(std=0.02), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(dd, dheads, int(dd * ratio)) for _ in range(ddepth)])
        self.decoder_norm = nn.LayerNorm(dd, eps=1e-6)
        self.decoder_pred = nn.Linear(dd, p * p * ch)

    def grid_mask(self, n):
        g = self.g
        pat = torch.tensor([float((i + j) % 2 == 0) for i in range(g) for j in range(g)])
        shuffle = torch.argsort(pat, stable=True)
        restore = torch.argsort(shuffle)
        keep = shuffle[: g * g // 2]
        return keep.expand(n, -1), restore.expand(n, -1), pat.expand(n, -1)

    def patchify(self, x):
        n, c, g, p = x.shape[0], x.shape[1], self.g, self.p
        x = x.reshape(n, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(n, g * g, p * p * c)

    def forward_loss(self, x, keep, restore, mask):
        n = x.shape[0]
        h = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]
        d = h.shape[-1]
        h = torch.gather(h, 1, keep.unsqueeze(-1).expand(-1, -1, d))
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(n, -1, -1)
        h = torch.cat([cls, h], 1)
        for b in self.blocks:
            h = b(h)
        h = self.decoder_embed(self.norm(h))
        dd = h.shape[-1]
        mt = self.mask_token.expand(n, restore.shape[1] + 1 - h.shape[1], -1)
        t = torch.cat([h[:, 1:], mt], 1)
        t = torch.gather(t, 1, restore.unsqueeze(-1).expand(-1, -1, dd))
        h = torch.cat([h[:, :1], t], 1) + self.decoder_pos_embed
        for b in self.decoder_blocks:
            h = b(h)
        pred = self.decoder_pred(self.decoder_norm(h))[:, 1:]
        per = ((pred - self.patchify(x)) ** 2).mean(-1)
        return (per * mask).sum() / mask.sum()


# ---------------------------------------------------------------- cases
CASES = {  # name: (GFLOP per step from the table, input shape, builder, masked loss)
    "unet2d_256_b8": (145, (8, 1, 256, 256), lambda: UNet(2), False),
    "unet3d_32x64x64_b2": (210, (2, 1, 32, 64, 64), lambda: UNet(3), False),
    "edsr2d_64_b8": (247, (8, 1, 64, 64), lambda: EDSR(), False),
    "rcan2d_64_b8": (187, (8, 1, 64, 64), lambda: RCAN(), False),
    "mae_small_256_b12": (527, (12, 1, 256, 256), lambda: MAE(d=192, depth=4, heads=12), True),
    "mae_default_256_b12": (1325, (12, 1, 256, 256), lambda: MAE(), True),
}


def main():
    a = ARGS
    if a.model not in CASES:
        raise SystemExit(f"torch_ref.py: unknown model {a.model!r} (have {', '.join(sorted(CASES))})")
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    gflop, shape, build, masked = CASES[a.model]
    m = build().train()
    x = torch.rand(*shape)
    if masked:
        keep, restore, mask = m.grid_mask(shape[0])
        loss_fn = lambda: m.forward_loss(x, keep, restore, mask)  # noqa: E731
    else:
        with torch.no_grad():
            target = torch.rand_like(m(x))
        loss_fn = lambda: F.mse_loss(m(x), target)  # noqa: E731
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.05)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn().backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rss = ru.ru_maxrss / 1024
    cpu_ms = ((ru.ru_utime + ru.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) * 1000 / a.steps
    print(f"model={a.model} threads={a.threads} steps={a.steps} step_median_ms={med:.1f} "
          f"gflop_per_step={gflop} gflops={gflop / (med / 1000):.1f} peak_rss_mib={rss:.0f} cpu_ms_per_step={cpu_ms:.0f}")


if __name__ == "__main__":
    main()
