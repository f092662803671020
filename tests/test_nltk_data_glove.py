"""hanet.text.glove: GloVe vectors restricted to a vocabulary, cached (text resources next to NLTK data)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixtures_real import zip_bytes

from hanet.errors import HanetError
from hanet.text.glove import cached_glove, load_glove

GLOVE = "the 0.1 0.2 0.3\nDog 1 2 3\ndog 4 5 6\ncat -1 -2 -3\nzebra 9 9 9\n"
WORDS = ["<pad>", "<unk>", "the", "dog", "cat", "unicorn"]


def test_load_glove_keeps_vocab_words_and_reports_coverage(tmp_path):
    (tmp_path / "g.txt").write_text(GLOVE)
    emb, report = load_glove(tmp_path / "g.txt", WORDS, seed=0)
    assert emb.shape == (6, 3) and emb.dtype == np.float32
    np.testing.assert_array_equal(emb[0], 0)  # pad
    np.testing.assert_allclose(emb[3], [1, 2, 3])  # first match ("Dog", lowercased) wins
    np.testing.assert_allclose(emb[4], [-1, -2, -3])
    assert report["found"] == 3 and report["missing_examples"] == ["unicorn"]
    assert report["coverage"] == pytest.approx(3 / 4)


def test_cached_glove_from_zip(tmp_path):
    (tmp_path / "glove.zip").write_bytes(zip_bytes({"glove.6B.3d.txt": GLOVE.encode()}))
    (tmp_path / "vocab.json").write_text(json.dumps({"words": WORDS}))
    out = tmp_path / "cache" / "glove.npy"
    emb = cached_glove(tmp_path / "glove.zip", tmp_path / "vocab.json", out)
    assert np.array_equal(np.load(out), emb)
    assert json.loads(out.with_suffix(".json").read_text())["found"] == 3
    (tmp_path / "glove.zip").unlink()  # the cache is used without the source
    assert np.array_equal(cached_glove(tmp_path / "glove.zip", tmp_path / "vocab.json", out), emb)


def test_malformed_glove_line_named(tmp_path):
    (tmp_path / "g.txt").write_text("the 1 2 3\ndog 1 2\n")
    with pytest.raises(HanetError, match=r"g.txt:2: expected 3 values after 'dog', got 2"):
        load_glove(tmp_path / "g.txt", WORDS)


def test_hanet_glove_writes_a_partial_checkpoint_that_initialises_the_embedding(tmp_path):
    """`hanet glove` -> {"text_encoder": {"embedding.we.weight"}}: what train.init_from loads."""
    import torch

    from hanet.model import HANet, ModelConfig
    from hanet.model.public import load_public_state
    from hanet.text.glove import cli
    from hanet.train.import_checkpoint import read_public

    (tmp_path / "glove.txt").write_text("man 1 2 3\nball 4 5 6\nthe 0 0 1\n")
    (tmp_path / "vocab.json").write_text('{"words": ["<pad>", "<unk>", "the", "man", "kite"]}')
    out = tmp_path / "glove_init.th"
    cli(["--glove", str(tmp_path / "glove.txt"), "--vocab", str(tmp_path / "vocab.json"), "--out", str(out)])
    emb = read_public(out)["text_encoder"]["embedding.we.weight"]
    assert emb.shape == (5, 3) and emb[3].tolist() == [1.0, 2.0, 3.0] and emb[2].tolist() == [0.0, 0.0, 1.0]
    model = HANet(ModelConfig(ft_dim=4, dim=8, word_dim=3, vocab_size=5, num_verbs=3, num_nouns=3, se_reduction=2))
    assert load_public_state(model, read_public(out), partial=True) == ["text.embed.weight"]
    assert torch.equal(model.text.embed.weight.detach(), emb)
