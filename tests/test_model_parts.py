"""The public rules for concept-selected local parts, on hand-built cases."""
import torch

from hanet.model.video_encoder import action_parts, entity_parts


def frames(n: int) -> torch.Tensor:
    return torch.arange(n, dtype=torch.float32)[None, :, None].repeat(1, 1, 2)  # (1, n, 2): row f holds f


def peaks_at(n: int, where: list[int]) -> torch.Tensor:
    per_frame = torch.zeros(1, n, len(where))  # (1, F, K)
    for k, f in enumerate(where):
        per_frame[0, f, k] = 1.0
    return per_frame


def test_action_window_only_when_every_peak_fits():
    x, lengths = frames(10), torch.tensor([10])
    inside = action_parts(x, peaks_at(10, [2, 5, 7]), lengths, window=2)  # 2 >= 2 and 7 + 2 < 10
    assert inside[0, :, 0].tolist() == [2.0, 5.0, 7.0]  # window means of rows f-2..f+2 are f
    x = x ** 2  # now a window mean differs from its centre row
    inside = action_parts(x, peaks_at(10, [2, 5, 7]), lengths, window=2)
    means = [(0 + 1 + 4 + 9 + 16) / 5, (9 + 16 + 25 + 36 + 49) / 5, (25 + 36 + 49 + 64 + 81) / 5]
    assert inside[0, :, 0].tolist() == means
    edge = action_parts(x, peaks_at(10, [2, 5, 8]), lengths, window=2)  # 8 + 2 >= 10: no window for any part
    assert edge[0, :, 0].tolist() == [4.0, 25.0, 64.0]
    early = action_parts(x, peaks_at(10, [1, 5]), lengths, window=2)  # 1 < 2
    assert early[0, :, 0].tolist() == [1.0, 25.0]


def test_action_window_counts_the_video_length_not_the_padding():
    x = frames(12) ** 2
    per_frame = peaks_at(12, [3, 6]).masked_fill(torch.arange(12)[None, :, None] >= 8, float("-inf"))
    parts = action_parts(x, per_frame, torch.tensor([8]), window=2)  # 6 + 2 >= 8: single frames
    assert parts[0, :, 0].tolist() == [9.0, 36.0]


def test_entity_parts_mean_of_best_frames_or_peak_for_short_videos():
    x = frames(6) ** 2
    per_frame = torch.tensor([0.1, 0.9, 0.3, 0.8, 0.7, 0.2])[None, :, None]  # (1, 6, 1)
    assert entity_parts(x, per_frame, torch.tensor([6]), frames=3)[0, 0, 0] == (1 + 9 + 16) / 3
    short = per_frame.masked_fill(torch.arange(6)[None, :, None] >= 2, float("-inf"))
    assert entity_parts(x, short, torch.tensor([2]), frames=3)[0, 0, 0] == 1.0  # peak frame alone
