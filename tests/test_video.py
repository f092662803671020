import numpy as np
import pytest

from hanet.data.synth_render import encode_mp4
from hanet.data.video import count_frames, read_frames, read_sampled, sample_indices
from hanet.errors import HanetError


def test_sample_indices_hand_cases():
    assert sample_indices(5, 10).tolist() == [0, 1, 2, 3, 4]
    assert sample_indices(10, 4).tolist() == [0, 3, 6, 9]
    # MSR-VTT recipe: every 16th frame, then at most 20 by linspace
    assert sample_indices(100, 20, stride=16).tolist() == [0, 16, 32, 48, 64, 80, 96]
    assert sample_indices(33, 2, stride=16).tolist() == [0, 32]
    # 641 frames -> 41 candidates (0..640 step 16), 20 kept at round(linspace(0, 40, 20))
    expect = [16 * int(round(x)) for x in np.linspace(0, 40, 20)]
    assert sample_indices(641, 20, stride=16).tolist() == expect
    assert sample_indices(1, 20, stride=16).tolist() == [0]
    with pytest.raises(HanetError):
        sample_indices(0, 20)
    with pytest.raises(HanetError):
        sample_indices(10, 0)


def _frames(t=12, size=32):
    frames = np.zeros((t, size, size, 3), np.uint8)
    frames[:, :, : size // 2] = (200, 30, 30)  # red left half
    frames[:, :, size // 2 :] = (30, 30, 200)  # blue right half
    frames[np.arange(t), 4, np.arange(t) * 2] = 255  # a moving dot
    return frames


def test_decode_round_trip(tmp_path):
    frames = _frames()
    path = tmp_path / "v.mp4"
    encode_mp4(frames, path, fps=8)
    decoded = read_frames(path)
    assert decoded.shape == frames.shape and decoded.dtype == np.uint8
    assert count_frames(path) == 12
    # colours approximately preserved away from the edge between halves
    assert np.abs(decoded[:, 10:, 2:12].astype(int) - (200, 30, 30)).mean() < 12
    assert np.abs(decoded[:, 10:, 20:30].astype(int) - (30, 30, 200)).mean() < 12
    some = read_frames(path, [0, 5, 11])
    np.testing.assert_array_equal(some, decoded[[0, 5, 11]])
    sub, idx, n = read_sampled(path, max_frames=4, stride=2)
    assert n == 12 and idx.tolist() == [0, 4, 6, 10]
    np.testing.assert_array_equal(sub, decoded[idx])


def test_bad_videos_raise_naming_the_file(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    for fn in (read_frames, count_frames, lambda p: read_sampled(p, 4)):
        with pytest.raises(HanetError, match="broken.mp4"):
            fn(bad)
    with pytest.raises(HanetError, match="missing.mp4"):
        read_frames(tmp_path / "missing.mp4")
    path = tmp_path / "short.mp4"
    encode_mp4(_frames(t=3), path)
    with pytest.raises(HanetError, match="frame 7"):
        read_frames(path, [0, 7])
