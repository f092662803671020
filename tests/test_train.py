"""Training loop, data loading and evaluation on a tiny contract-format dataset (CPU)."""

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from fake_dataset import TINY_OVERRIDES, make_fake_dataset
from hanet.errors import HanetError
from hanet.model.config import ModelConfig
from hanet.train import loop
from hanet.train.data import load_split
from hanet.train.evaluate import run as evaluate
from hanet.train.loop import epoch_order, train


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture()
def dataset(tmp_path) -> Path:
    return make_fake_dataset(tmp_path / "data")


def train_and_test(root: Path, out: Path) -> dict:
    train(root, root / "features.h5", None, TINY_OVERRIDES, 7, out, "cpu", 1)
    evaluate(out / "best.pt", root, root / "features.h5", "test", out, "cpu")
    return json.loads((out / "metrics.json").read_text())


def test_same_seed_gives_identical_metrics_and_resume_matches(dataset, tmp_path, monkeypatch):
    first = train_and_test(dataset, tmp_path / "a")
    second = train_and_test(dataset, tmp_path / "b")
    assert {k: first[k] for k in ("t2v", "v2t", "rsum")} == {k: second[k] for k in ("t2v", "v2t", "rsum")}
    assert "tie" in first["provenance"]["tie_rule"] and first["provenance"]["seed"] == 7

    # Interrupt a third run during epoch 2, then restart it: it resumes after epoch 1.
    real_epoch = loop.train_epoch

    def crash_in_epoch_two(*args):
        if args[-1] == 2:
            raise KeyboardInterrupt
        return real_epoch(*args)

    monkeypatch.setattr(loop, "train_epoch", crash_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, tmp_path / "c", "cpu", 1)
    assert (tmp_path / "c" / "last.pt").is_file() and not (tmp_path / "c" / "best.pt").exists()
    monkeypatch.setattr(loop, "train_epoch", real_epoch)
    resumed = train_and_test(dataset, tmp_path / "c")
    assert {k: resumed[k] for k in ("t2v", "v2t", "rsum")} == {k: first[k] for k in ("t2v", "v2t", "rsum")}
    log = (tmp_path / "c" / "train_log.csv").read_text().splitlines()
    assert len(log) == 1 + TINY_OVERRIDES["train"]["epochs"]


def test_run_outputs_follow_the_contract(dataset, tmp_path):
    out = tmp_path / "run"
    metrics = train_and_test(dataset, out)
    assert set(metrics["t2v"]) == {"r1", "r5", "r10", "medr", "meanr"}
    assert metrics["rsum"] == pytest.approx(sum(metrics[d][k] for d in ("t2v", "v2t") for k in ("r1", "r5", "r10")))
    ranks = np.load(out / "ranks.npz")
    test_ids = (dataset / "prepared/splits/test.txt").read_text().split()
    assert list(ranks["v2t_query"]) == test_ids and len(ranks["t2v_rank"]) == len(ranks["t2v_query"])
    assert np.mean(ranks["v2t_rank"] <= 1) * 100 == pytest.approx(metrics["v2t"]["r1"])
    state = torch.load(out / "best.pt", weights_only=True)
    assert state["config"]["model"]["ft_dim"] == 12 and state["vocab_size"] == 15 and state["epoch"] >= 1
    examples = json.loads((out / "examples.json").read_text())
    assert examples["t2v"][0]["top"][0][0] in test_ids
    assert all(len(c["actions"]) == 4 for c in examples["concepts"])  # 4 verb concepts, top-5 capped


def test_epoch_order_is_a_seeded_permutation_with_few_repeated_videos():
    caption_video = np.repeat(np.arange(50), 10)  # 50 videos x 10 captions
    order = epoch_order(caption_video, seed=1, epoch=3)
    assert sorted(order) == list(range(500))
    assert np.array_equal(order, epoch_order(caption_video, 1, 3))
    assert not np.array_equal(order, epoch_order(caption_video, 1, 4))
    batches = order[: 500 // 25 * 25].reshape(-1, 25)
    distinct = [len(set(caption_video[b])) for b in batches]
    assert min(distinct) >= 24  # a batch straddles at most one round boundary


def test_concept_targets_mask_other_captions_concepts(dataset):
    data = load_split(dataset, dataset / "features.h5", "train", ModelConfig(**TINY_OVERRIDES["model"], ft_dim=12,
                                                                                vocab_size=15, num_verbs=4, num_nouns=5))
    # captions 0 and 1 belong to video0; caption 1 also names noun 0 ("ball"), caption 0 does not
    labels = json.loads((dataset / "text/labels.json").read_text())["video0"]
    own0, own1 = set(labels[0]["nouns"]), set(labels[1]["nouns"])
    for c in range(5):
        assert data.targets.nouns[0, c] == (c in own0)
        masked = c in own1 and c not in own0
        assert data.targets.noun_mask[0, c] == (0.0 if masked else 1.0)
    # one positive per distinct (video, caption text) pair; shared texts are one query
    assert data.positives.sum() == len(set(zip(data.caption_video.tolist(), data.captions)))
    assert data.positives.shape[1] == len(set(data.captions))


def test_bad_features_are_reported_with_file_and_video(dataset):
    with h5py.File(dataset / "features.h5", "a") as h5:
        h5["video0"][0, 0] = np.nan
    cfg = ModelConfig(**TINY_OVERRIDES["model"], ft_dim=12, vocab_size=15, num_verbs=4, num_nouns=5)
    with pytest.raises(HanetError, match=r"features\.h5: video 'video0' has NaN"):
        load_split(dataset, dataset / "features.h5", "train", cfg)
    with h5py.File(dataset / "features.h5", "a") as h5:
        h5["video0"][0, 0] = 0.0
        del h5["video1"]
    with pytest.raises(HanetError, match="no features for video 'video1'"):
        load_split(dataset, dataset / "features.h5", "train", cfg)


def test_term_metrics_cover_every_enabled_term_and_the_fused_score(dataset, tmp_path):
    out = tmp_path / "run"
    metrics = train_and_test(dataset, out)
    evaluate(out / "best.pt", dataset, dataset / "features.h5", "test", out, "cpu", terms=True)
    terms = json.loads((out / "terms_test.json").read_text())
    assert set(terms) == {"global", "local_verb", "local_noun", "individual_verb", "individual_noun",
                          "concept_verb", "concept_noun", "embedding_mean", "fused"}
    assert terms["fused"]["rsum"] == pytest.approx(metrics["rsum"])


def test_adam_is_fused_where_supported_and_updates_like_the_default(monkeypatch):
    torch.manual_seed(0)
    make = lambda: [torch.nn.Parameter(torch.randn(5, 3)), torch.nn.Parameter(torch.randn(7))]  # noqa: E731
    fused_params = make()
    start = [p.detach().clone() for p in fused_params]
    plain_params = [torch.nn.Parameter(p.clone()) for p in start]
    fused, plain = loop.adam(fused_params, 0.01), torch.optim.Adam(plain_params, lr=0.01)
    assert fused.param_groups[0]["fused"]  # torch >= 2.4 fuses on the CPU
    g = torch.Generator().manual_seed(1)
    for _ in range(3):
        for a, b in zip(fused_params, plain_params):
            grad = torch.randn(a.shape, generator=g)
            a.grad, b.grad = grad.clone(), grad.clone()
        fused.step()
        plain.step()
    for a, b, a0 in zip(fused_params, plain_params, start):
        assert not torch.allclose(a, a0) and torch.allclose(a, b, atol=1e-6, rtol=1e-5)

    real = torch.optim.Adam

    def no_fused(params, lr, fused=None):  # a torch or device without the fused update
        if fused:
            raise RuntimeError("fused=True is not supported here")
        return real(params, lr=lr)

    monkeypatch.setattr(torch.optim, "Adam", no_fused)
    fallback = loop.adam(iter(make()), 0.01)  # a generator of parameters is consumed once
    assert not fallback.param_groups[0].get("fused") and len(fallback.param_groups[0]["params"]) == 2


def _log_epochs(out: Path) -> list[str]:
    return [row.split(",")[0] for row in (out / "train_log.csv").read_text().splitlines()[1:]]


def test_finished_runs_retrain_and_changed_inputs_start_afresh(dataset, tmp_path, capsys, monkeypatch):
    """A finished run asked to train again (snakemake --forcerun, a deleted best.pt, a
    comment-only ablation edit) retrains; an unfinished one resumes only on unchanged inputs."""
    out = tmp_path / "run"
    first = train_and_test(dataset, out)
    capsys.readouterr()
    (out / "best.pt").unlink()  # as Snakemake does before re-running a job
    again = train_and_test(dataset, out)
    assert "that run had finished: training afresh" in capsys.readouterr().out
    assert {k: again[k] for k in ("t2v", "rsum")} == {k: first[k] for k in ("t2v", "rsum")}
    assert _log_epochs(out) == ["1", "2", "3"]  # the log restarts, not appended to

    # killed during epoch 2, then the features change: the restart does not resume
    real_epoch = loop.train_epoch
    monkeypatch.setattr(loop, "train_epoch", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt) if a[-1] == 2
                        else real_epoch(*a))
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, killed, "cpu", 1)
    monkeypatch.setattr(loop, "train_epoch", real_epoch)
    with h5py.File(dataset / "features.h5", "r+") as h5:
        first_video = sorted(h5.keys())[0]
        h5[first_video][...] = h5[first_video][...] + 1.0
    capsys.readouterr()
    train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, killed, "cpu", 1)
    assert "input data changed since it was written: training afresh" in capsys.readouterr().out
    assert _log_epochs(killed) == ["1", "2", "3"]


def test_checkpoints_that_are_not_plain_tensors_are_refused(dataset, tmp_path):
    """A pickle that would run code is refused (weights_only), naming the file; so is a
    truncated checkpoint, with what to delete."""
    class Exploit:
        def __reduce__(self):
            return (Path(tmp_path / "pwned").touch, ())

    crafted = tmp_path / "best.pt"
    torch.save({"model": {}, "config": {}, "payload": Exploit()}, crafted)
    with pytest.raises(HanetError, match=f"{crafted}: refused: not a plain-tensor checkpoint"):
        evaluate(crafted, dataset, dataset / "features.h5", "test", tmp_path / "out", "cpu")
    assert not (tmp_path / "pwned").exists()
    out = tmp_path / "run"
    train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, out, "cpu", 1)
    blob = (out / "best.pt").read_bytes()
    (out / "best.pt").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(HanetError, match="truncated checkpoint.*delete it"):
        evaluate(out / "best.pt", dataset, dataset / "features.h5", "test", out, "cpu")


def test_a_checkpoint_for_other_data_is_refused(dataset, tmp_path):
    out = tmp_path / "run"
    train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, out, "cpu", 1)
    other = make_fake_dataset(tmp_path / "other", dim=10)
    with pytest.raises(HanetError, match=r"built with model.ft_dim = 12, but the data has 10"):
        evaluate(out / "best.pt", other, other / "features.h5", "test", tmp_path / "o", "cpu")


def test_init_from_a_partial_public_checkpoint_sets_only_what_it_holds(dataset, tmp_path, capsys):
    """The authors' GloVe files hold only the word embedding: training starts from it."""
    glove = torch.randn(15, TINY_OVERRIDES["model"]["word_dim"])
    torch.save({"text_encoder": {"embedding.we.weight": glove}}, tmp_path / "word_embeds.th")
    overrides = {**TINY_OVERRIDES, "train": {**TINY_OVERRIDES["train"], "epochs": 1,
                                             "init_from": str(tmp_path / "word_embeds.th"), "lr": 1e-12}}
    train(dataset, dataset / "features.h5", None, overrides, 7, tmp_path / "run", "cpu", 1)
    assert "initialised 1 tensor(s)" in capsys.readouterr().out
    state = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    assert torch.allclose(state["model"]["text.embed.weight"], glove, atol=1e-6)  # lr ~ 0: unchanged
    torch.save({"text_encoder": {"embedding.we.weight": torch.randn(99, 3)}}, tmp_path / "bad.th")
    overrides["train"]["init_from"] = str(tmp_path / "bad.th")
    with pytest.raises(HanetError, match=r"shape \(99, 3\)"):
        train(dataset, dataset / "features.h5", None, overrides, 7, tmp_path / "run2", "cpu", 1)


def test_training_rechecks_the_prepared_splits(dataset, tmp_path):
    """A split edited by hand after hanet parse (a test video also in train) is refused."""
    splits = dataset / "prepared" / "splits"
    leak = (splits / "test.txt").read_text().split()[0]
    (splits / "train.txt").write_text((splits / "train.txt").read_text() + leak + "\n")
    with pytest.raises(HanetError, match="in both train.txt and test.txt"):
        train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, tmp_path / "run", "cpu", 1)


def test_metrics_json_has_concept_accuracy_only_with_a_concept_branch(dataset, tmp_path):
    metrics = train_and_test(dataset, tmp_path / "full")
    c = metrics["concepts"]
    for level in ("video", "caption"):
        for key, k in (("verbs", TINY_OVERRIDES["model"]["top_actions"]), ("nouns", TINY_OVERRIDES["model"]["top_entities"])):
            s = c[level][key]
            assert 0.0 <= s["map"] <= 100.0 and 0.0 <= s["p_at_k"] <= 100.0 and s["k"] == k
            assert 0.0 < s["map_chance"] <= 100.0
    assert c["video"]["verbs"]["rows"] == metrics["provenance"]["num_videos"]
    out = tmp_path / "noc"
    overrides = {**TINY_OVERRIDES, "model": {**TINY_OVERRIDES["model"], "concepts": False}}
    train(dataset, dataset / "features.h5", None, overrides, 7, out, "cpu", 1)
    evaluate(out / "best.pt", dataset, dataset / "features.h5", "test", out, "cpu")
    assert "concepts" not in json.loads((out / "metrics.json").read_text())


def test_evaluate_with_phenomena_writes_twin_outcomes_and_twin_examples(dataset, tmp_path):
    out = tmp_path / "run"
    train_and_test(dataset, out)
    test_ids = (dataset / "prepared" / "splits" / "test.txt").read_text().split()
    phen = {"videos": {test_ids[0]: {"twin": test_ids[1]}, test_ids[1]: {"twin": test_ids[0]}}}
    (tmp_path / "phenomena.json").write_text(json.dumps(phen))
    evaluate(out / "best.pt", dataset, dataset / "features.h5", "test", out, "cpu",
             phenomena=tmp_path / "phenomena.json")
    metrics = json.loads((out / "metrics.json").read_text())
    with np.load(out / "ranks.npz") as npz:
        outcomes = npz["t2v_twin"]
        assert outcomes.shape == npz["t2v_rank"].shape
    n = int((~np.isnan(outcomes)).sum())
    assert n > 0 and metrics["twins"]["captions"] == n
    assert metrics["twins"]["discrimination"] == pytest.approx(100 * np.nanmean(outcomes))
    ex = json.loads((out / "examples.json").read_text())["t2v"]
    assert ex and all(e["twin"] in test_ids[:2] and e["video"] in test_ids[:2] and e["twin"] != e["video"] for e in ex)


def test_train_log_has_validation_concept_accuracy(dataset, tmp_path):
    out = tmp_path / "run"
    train(dataset, dataset / "features.h5", None, TINY_OVERRIDES, 7, out, "cpu", 1)
    header = (out / "train_log.csv").read_text().splitlines()[0].split(",")
    assert {"val_concept_video_verbs_map", "val_concept_caption_nouns_map"} <= set(header)
