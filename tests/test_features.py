import h5py
import json

import numpy as np
import pytest

from hanet.data.synth_render import encode_mp4, render
from hanet.data.synth_world import Clip, Obj, Segment
from hanet.errors import HanetError
from hanet.features.descriptor import Descriptor
from hanet.features.extract import EXTRACTORS, extract_videos, get_extractor


def _clip(colour="red", x=0.3, action="jump", shape="square"):
    return Clip("room", (Obj(shape, colour, "big", x, 0.5, (Segment(action, 0.0, 1.0),)),))


def _feat(**kw):
    return Descriptor()(render(_clip(**kw), 12, 64))  # (12, 240)


def test_descriptor_shape_determinism():
    d = Descriptor()
    a = _feat()
    assert a.shape == (12, d.dim) and a.dtype == np.float32 and d.dim == 240
    np.testing.assert_array_equal(a, _feat())
    assert np.isfinite(a).all()


def test_descriptor_separates_colour_position_motion_shape():
    base = _feat()
    dist = lambda b: float(np.linalg.norm(base - b))
    assert dist(_feat()) == 0.0
    jitter = dist(_feat(x=0.31))  # the same video shifted by 0.6 px: the noise floor
    assert 0 < jitter < 0.05
    for other in (_feat(colour="blue"), _feat(x=0.7), _feat(action="spin"), _feat(shape="circle")):
        assert dist(other) > 10 * jitter
    # motion direction: leftward and rightward travel have opposite horizontal flow cues
    left, right = _feat(action="left", x=0.6), _feat(action="right", x=0.4)
    flow_x = lambda f: f.reshape(12, 16, 15)[:, :, 13].sum()
    assert flow_x(left) < 0 < flow_x(right)


def _videos(tmp_path, n=3):
    manifest = {}
    for i in range(n):
        encode_mp4(render(_clip(colour=["red", "blue", "green"][i % 3]), 10, 32), tmp_path / f"v{i}.mp4")
        manifest[f"v{i}"] = f"v{i}.mp4"
    return manifest


def test_extract_contract_resume_and_failures(tmp_path):
    manifest = _videos(tmp_path)
    out = tmp_path / "f" / "descriptor.h5"
    extract_videos(manifest, tmp_path, out, Descriptor(), max_frames=4, progress=False)
    with h5py.File(out, "r") as f:
        assert f.attrs["extractor"] == "descriptor" and f.attrs["dim"] == 240
        assert json.loads(f.attrs["settings"])["max_frames"] == 4
        assert f["v1"].shape == (4, 240) and f["v1"].dtype == np.float32
        assert f["v1"].attrs["frame_indices"].tolist() == [0, 3, 6, 9]
        assert f["v1"].attrs["num_native_frames"] == 10
        first = f["v0"][()]
    # a broken video: error naming it by default, partial work kept for the re-run
    (tmp_path / "v9.mp4").write_bytes(b"garbage")
    manifest["v9"] = "v9.mp4"
    out2 = tmp_path / "g.h5"
    with pytest.raises(HanetError, match="video v9"):
        extract_videos(manifest, tmp_path, out2, Descriptor(), max_frames=4, progress=False)
    assert not out2.exists()
    with h5py.File(tmp_path / "g.h5.partial", "r") as f:
        assert sorted(f) == ["v0", "v1", "v2"]  # resumable: finished videos are kept
    fails = extract_videos(manifest, tmp_path, out2, Descriptor(), max_frames=4, allow_failures=True, progress=False)
    assert [x["video_id"] for x in fails] == ["v9"]
    with h5py.File(out2, "r") as f:
        assert sorted(f) == ["v0", "v1", "v2"] and json.loads(f.attrs["failures"])[0]["video_id"] == "v9"
        np.testing.assert_array_equal(f["v0"][()], first)


class _NaN:
    name, settings, dim = "nan", {}, 2

    def __call__(self, frames):
        return np.full((len(frames), 2), np.nan, np.float32)


def test_nan_features_and_unknown_extractor(tmp_path):
    manifest = _videos(tmp_path, 1)
    with pytest.raises(HanetError, match="video v0.*NaN"):
        extract_videos(manifest, tmp_path, tmp_path / "n.h5", _NaN(), max_frames=4, progress=False)
    with pytest.raises(HanetError, match="unknown extractor"):
        get_extractor("nope")
    assert EXTRACTORS["resnet152"] == "hanet.features.resnet:ResNet152Extractor"
