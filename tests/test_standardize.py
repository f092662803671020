"""Feature standardisation with the train split's statistics (hanet extract --standardize)."""
import h5py
import numpy as np
import pytest

from hanet.errors import HanetError
from hanet.features.descriptor import Descriptor
from hanet.features.extract import extract_videos
from hanet.features.standardize import standardize_file
from test_features import _videos


def _write(path, videos: dict[str, np.ndarray]) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["extractor"] = "hand"
        for vid, x in videos.items():
            f.create_dataset(vid, data=np.asarray(x, np.float32)).attrs["frame_indices"] = np.arange(len(x))


def test_hand_computed_statistics_come_from_train_frames_only(tmp_path):
    # dim 0: train frames 1, 3, 5 -> mean 3, population std sqrt(8/3); dim 1 constant on train -> std 1
    _write(tmp_path / "raw.h5", {"a": [[1, 7], [3, 7]], "b": [[5, 7]], "t": [[100, -1]]})
    mean, std = standardize_file(tmp_path / "raw.h5", tmp_path / "z.h5", ["a", "b"])
    np.testing.assert_allclose(mean, [3.0, 7.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 1.0])
    with h5py.File(tmp_path / "z.h5", "r") as f:
        np.testing.assert_allclose(f["a"][()], [[-2 / np.sqrt(8 / 3), 0], [0, 0]], atol=1e-6)
        np.testing.assert_allclose(f["t"][()], [[97 / np.sqrt(8 / 3), -8]], rtol=1e-6)  # test uses train stats
        assert f["t"].attrs["frame_indices"].tolist() == [0] and f.attrs["extractor"] == "hand"
        np.testing.assert_allclose(f.attrs["feature_mean"], [3.0, 7.0])
        assert "train videos" in f.attrs["standardized"]


def test_no_train_video_is_an_error_naming_the_file(tmp_path):
    _write(tmp_path / "raw.h5", {"a": [[1.0]]})
    with pytest.raises(HanetError, match="raw.h5: none of the 1 train videos"):
        standardize_file(tmp_path / "raw.h5", tmp_path / "z.h5", ["missing"])
    assert not (tmp_path / "z.h5").exists()


def test_extract_standardize_matches_raw_extraction(tmp_path):
    manifest = _videos(tmp_path)
    extract_videos(manifest, tmp_path, tmp_path / "raw.h5", Descriptor(), max_frames=4, progress=False)
    extract_videos(manifest, tmp_path, tmp_path / "z.h5", Descriptor(), max_frames=4, progress=False,
                   standardize_with=["v0", "v1"])
    assert not (tmp_path / "z.h5.partial").exists()
    with h5py.File(tmp_path / "raw.h5", "r") as raw, h5py.File(tmp_path / "z.h5", "r") as z:
        train = np.concatenate([raw["v0"][()], raw["v1"][()]]).astype(np.float64)  # (8, 240)
        std = train.std(0)
        std[std < 1e-6] = 1.0
        for vid in manifest:
            np.testing.assert_allclose(z[vid][()], (raw[vid][()] - train.mean(0)) / std, rtol=1e-4, atol=1e-5)
        both = np.concatenate([z["v0"][()], z["v1"][()]])
        varying = train.std(0) >= 1e-6
        np.testing.assert_allclose(both.mean(0), 0.0, atol=1e-5)
        np.testing.assert_allclose(both.std(0)[varying], 1.0, rtol=1e-4)
