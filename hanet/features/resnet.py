"""ImageNet ResNet-152 frame features, as used by HGR and HANet on MSR-VTT.

Reference: He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 (the v1.5
variant torchvision ships: stride 2 in the 3x3 conv of a bottleneck). The network is defined
here in plain torch (no torchvision) with torchvision's parameter names, so the published
``resnet152-394f9c45.pth`` (IMAGENET1K_V1) loads with ``strict=True``. The extractor returns
the 2048-d global-average-pooled vector of each frame after the standard eval transform:
resize the shorter side to 256 (bilinear, antialiased), centre-crop 224, ImageNet mean/std.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hanet.device import resolve_device
from hanet.errors import HanetError

LAYERS = (3, 8, 36, 3)  # bottlenecks per stage of ResNet-152
WIDTHS = (64, 128, 256, 512)  # bottleneck widths; outputs are 4x these
EXPANSION = 4
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WEIGHTS_URL = "https://download.pytorch.org/models/resnet152-394f9c45.pth"
WEIGHTS_SHA256_PREFIX = "394f9c45"


class Bottleneck(nn.Module):
    def __init__(self, in_ch: int, width: int, stride: int) -> None:
        super().__init__()
        out_ch = width * EXPANSION
        self.conv1 = nn.Conv2d(in_ch, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, 4w, H/s, W/s)
        identity = x if self.downsample is None else self.downsample(x)
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + identity)


class ResNet152(nn.Module):
    """torchvision-compatible ResNet-152; ``forward`` returns pooled (B, 2048) features."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_ch = 64
        for i, (blocks, width) in enumerate(zip(LAYERS, WIDTHS)):
            stage = []
            for b in range(blocks):
                stage.append(Bottleneck(in_ch, width, stride=2 if (b == 0 and i > 0) else 1))
                in_ch = width * EXPANSION
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.fc = nn.Linear(in_ch, num_classes)  # kept so the checkpoint loads strictly; unused

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, 224, 224)
        x = F.relu(self.bn1(self.conv1(x)))  # (B, 64, 112, 112)
        x = F.max_pool2d(x, 3, stride=2, padding=1)  # (B, 64, 56, 56)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (B, 2048, 7, 7)
        return x.mean(dim=(2, 3))  # (B, 2048)


def preprocess(frames: torch.Tensor, resize: int = 256, crop: int = 224) -> torch.Tensor:
    """uint8 (T, H, W, 3) RGB -> normalised float (T, 3, crop, crop), torchvision's eval transform."""
    x = frames.permute(0, 3, 1, 2).float() / 255.0  # (T, 3, H, W)
    h, w = x.shape[-2:]
    if h < w:
        size = (resize, int(resize * w / h))  # torchvision: long side = int(resize * long / short)
    elif w < h:
        size = (int(resize * h / w), resize)
    else:
        size = (resize, resize)
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
    top = int(round((size[0] - crop) / 2.0))
    left = int(round((size[1] - crop) / 2.0))
    x = x[..., top:top + crop, left:left + crop]  # (T, 3, crop, crop)
    x = (x * 255.0).round().clamp(0.0, 255.0) / 255.0  # resized images are 8-bit in torchvision's PIL path
    mean = x.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = x.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def load_weights(model: nn.Module, weights: str | os.PathLike) -> str:
    """Load a torchvision ResNet-152 checkpoint strictly; return its SHA-256."""
    path = Path(weights)
    if not path.is_file():
        raise HanetError(f"{path}: ResNet-152 weights not found (download {WEIGHTS_URL})")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable checkpoint is a user error
        raise HanetError(f"{path}: not a readable torch checkpoint ({err})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        detail = " ".join(str(err).split())
        raise HanetError(f"{path}: not a torchvision ResNet-152 state_dict ({detail})") from None
    return digest


class ResNet152Extractor:
    """Frames -> (T, 2048) float32 features; the `hanet extract` extractor "resnet152".

    ``weights=None`` gives a randomly initialised network (seeded; for tests only).
    """

    name = "resnet152"
    dim = 2048

    def __init__(self, weights: str | os.PathLike | None = None, device: str = "auto",
                 batch_size: int | str = 32, seed: int = 0) -> None:
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
            torch.manual_seed(int(seed))
            self.model = ResNet152()
        digest = load_weights(self.model, weights) if weights is not None else None
        self.model.eval().to(self.device)
        self.settings = {
            "architecture": "resnet152 (torchvision layout, v1.5 strides)",
            "weights": Path(weights).name if weights is not None else "random-init",
            "weights_sha256": digest,
            "transform": "resize 256 shorter side (bilinear, antialias), centre crop 224, ImageNet mean/std",
            "pooling": "global average of the last conv stage",
            "dtype": "float32",
        }

    @torch.inference_mode()
    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise HanetError(f"resnet152: expected uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
        out = []
        for start in range(0, len(frames), self.batch_size):  # batches of frames, not samples
            batch = torch.from_numpy(np.ascontiguousarray(frames[start:start + self.batch_size]))
            x = preprocess(batch.to(self.device))  # (B, 3, 224, 224)
            out.append(self.model(x).float().cpu())  # (B, 2048)
        if not out:
            return np.zeros((0, self.dim), np.float32)
        return torch.cat(out).numpy()  # (T, 2048)
