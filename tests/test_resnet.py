"""ResNet-152: torchvision state_dict layout, eval transform, extractor output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hanet.errors import HanetError
from hanet.features.resnet import IMAGENET_MEAN, IMAGENET_STD, ResNet152, ResNet152Extractor, preprocess

torch.set_num_threads(1)


def torchvision_resnet152_layout() -> dict[str, tuple[int, ...]]:
    """Expected key -> shape, written from the architecture: [3, 8, 36, 3] bottlenecks."""
    keys: dict[str, tuple[int, ...]] = {}

    def bn(prefix: str, c: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{name}"] = (c,)
        keys[f"{prefix}.num_batches_tracked"] = ()

    keys["conv1.weight"] = (64, 3, 7, 7)
    bn("bn1", 64)
    in_ch = 64
    for layer, (blocks, width) in enumerate(zip([3, 8, 36, 3], [64, 128, 256, 512]), start=1):
        for b in range(blocks):
            p = f"layer{layer}.{b}"
            keys[f"{p}.conv1.weight"] = (width, in_ch, 1, 1)
            bn(f"{p}.bn1", width)
            keys[f"{p}.conv2.weight"] = (width, width, 3, 3)
            bn(f"{p}.bn2", width)
            keys[f"{p}.conv3.weight"] = (4 * width, width, 1, 1)
            bn(f"{p}.bn3", 4 * width)
            if b == 0:
                keys[f"{p}.downsample.0.weight"] = (4 * width, in_ch, 1, 1)
                bn(f"{p}.downsample.1", 4 * width)
            in_ch = 4 * width
    keys["fc.weight"] = (1000, 2048)
    keys["fc.bias"] = (1000,)
    return keys


@pytest.fixture(scope="module")
def model():
    return ResNet152()


def test_state_dict_matches_torchvision_layout(model):
    expected = torchvision_resnet152_layout()
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert list(got) == list(expected)  # same names, same order
    assert got == expected
    assert sum(v.numel() for k, v in model.state_dict().items() if "running" not in k
               and "num_batches" not in k) == 60_192_808  # torchvision's resnet152 parameter count


def test_checkpoint_round_trip_is_strict(model, tmp_path):
    path = tmp_path / "resnet152.pth"
    torch.save(model.state_dict(), path)
    ext = ResNet152Extractor(weights=path, device="cpu", batch_size=2)
    assert torch.equal(ext.model.layer3[35].conv2.weight, model.layer3[35].conv2.weight)
    assert len(ext.settings["weights_sha256"]) == 64
    broken = {k: v for k, v in model.state_dict().items() if k != "fc.bias"}
    torch.save(broken, tmp_path / "broken.pth")
    with pytest.raises(HanetError, match="broken.pth.*Missing key"):
        ResNet152Extractor(weights=tmp_path / "broken.pth", device="cpu")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(HanetError, match="junk.pth"):
        ResNet152Extractor(weights=tmp_path / "junk.pth", device="cpu")


def test_preprocess_resizes_shorter_side_and_centre_crops():
    frames = torch.zeros(2, 120, 300, 3, dtype=torch.uint8)
    frames[:, :, 150:] = 255  # right half white
    x = preprocess(frames)  # resize to 256 x 640, crop the central 224 columns 208..432
    assert x.shape == (2, 3, 224, 224)
    mean, std = torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
    black, white = (0 - mean) / std, (1 - mean) / std
    assert torch.allclose(x[0, :, :, 0], black.view(3, 1).expand(3, 224), atol=1e-5)
    assert torch.allclose(x[1, :, :, -1], white.view(3, 1).expand(3, 224), atol=1e-5)


def test_extractor_outputs_pooled_2048d_batched(model):
    ext = ResNet152Extractor(weights=None, device="auto", batch_size=2)
    frames = np.random.default_rng(0).integers(0, 256, size=(3, 40, 48, 3), dtype=np.uint8)
    feats = ext(frames)
    assert feats.shape == (3, 2048) and feats.dtype == np.float32 and np.isfinite(feats).all()
    assert (feats >= 0).all()  # average of post-ReLU activations
    single = ext(frames[2:3])  # batching does not change a frame's feature
    np.testing.assert_allclose(single[0], feats[2], rtol=1e-4, atol=1e-5)
    assert ext.dim == 2048 and ext.settings["weights"] == "random-init"
    with pytest.raises(HanetError, match="uint8"):
        ext(frames.astype(np.float32))
