"""hanet aggregate on hand-made run folders: means, stds, counts, errors, outputs."""

import json

import numpy as np
import pandas as pd
import pytest

from fake_runs import make_run
from hanet.errors import HanetError
from hanet.results.aggregate import aggregate, cli

# 4 caption queries over 4 videos. full seeds: t2v R@1 = 50, 100; no_local seeds: 25, 25
FULL = {0: ([1, 1, 3, 4], [1, 2, 1, 5]), 1: ([1, 1, 1, 1], [1, 1, 1, 1])}
ABL = {0: ([1, 2, 3, 4], [2, 2, 2, 2]), 1: ([2, 1, 5, 4], [3, 1, 2, 2])}


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "synth"
    for seed, (t, v) in FULL.items():
        make_run(root, "full", seed, t, v, git_commit=f"commit{seed}")
    for seed, (t, v) in ABL.items():
        make_run(root, "no_local", seed, t, v)
    return root


def test_means_stds_counts_by_hand(runs, tmp_path):
    out = tmp_path / "out"
    cli(["--runs", str(runs), "--out", str(out), "--bootstrap", "200"])
    runs_csv = pd.read_csv(out / "runs.csv")
    assert list(runs_csv["variant"]) == ["full", "full", "no_local", "no_local"]
    assert list(runs_csv["t2v_r1"]) == [50.0, 100.0, 25.0, 25.0]
    assert list(runs_csv["git_commit"][:2]) == ["commit0", "commit1"]
    import hashlib
    cfg = (runs / "full" / "seed0" / "config.yaml").read_bytes()
    assert runs_csv["config_hash"][0] == hashlib.sha256(cfg).hexdigest()

    ab = pd.read_csv(out / "ablation.csv").set_index("variant")
    assert list(ab.index) == ["full", "no_local", "chance"]
    assert ab.loc["full", "n_seeds"] == 2
    assert ab.loc["full", "t2v_r1_mean"] == 75.0
    assert ab.loc["full", "t2v_r1_std"] == pytest.approx(np.std([50, 100], ddof=1))  # 35.355
    assert ab.loc["no_local", "t2v_r1_std"] == 0.0
    # t2v medr: full seeds 2.0 and 1.0 -> mean 1.5; v2t meanr: 2.25, 1.0 -> 1.625
    assert ab.loc["full", "t2v_medr_mean"] == 1.5
    assert ab.loc["full", "v2t_meanr_mean"] == pytest.approx(1.625)
    # rsum full seed0: t2v 50+100+100, v2t 50+100+100 = 500; seed1 600 -> 550
    assert ab.loc["full", "rsum_mean"] == 550.0
    # paired difference of seed means, no_local - full
    assert ab.loc["no_local", "delta_t2v_r1"] == pytest.approx(25.0 - 75.0)
    assert ab.loc["no_local", "delta_rsum"] == pytest.approx(ab.loc["no_local", "rsum_mean"] - 550.0)
    assert np.isnan(ab.loc["full", "delta_t2v_r1"])
    # chance with 4 videos and 4 captions: R@1 25%, mean rank 2.5
    assert ab.loc["chance", "t2v_r1_mean"] == 25.0 and ab.loc["chance", "v2t_meanr_mean"] == 2.5

    md = (out / "ablation.md").read_text()
    assert "75.0 ± 35.4" in md and "ddof=1" in md and "†" in md and "`no_local`" in md
    tex = (out / "ablation.tex").read_text()
    assert r"75.0 $\pm$ 35.4" in tex and r"no\_local" in tex and "\\toprule" in tex


def test_explicit_selection_requires_every_folder(runs, tmp_path):
    with pytest.raises(HanetError, match=r"full[/\\]seed2: run folder not found"):
        aggregate(runs, tmp_path / "o", variants=["full", "no_local"], seeds=[0, 1, 2])
    t = aggregate(runs, tmp_path / "o", variants=["no_local", "full"], seeds=[0], n_boot=50)
    assert list(t["variant"]) == ["no_local", "full", "chance"]
    assert list(t["n_seeds"][:2]) == [1, 1]
    assert np.isnan(t["t2v_r1_std"][0])  # one seed: std undefined, not 0


def test_malformed_or_missing_metrics_named(runs, tmp_path):
    bad = runs / "no_local" / "seed1" / "metrics.json"
    bad.write_text("{not json")
    with pytest.raises(HanetError, match="seed1.metrics.json: malformed JSON"):
        aggregate(runs, tmp_path / "o")
    body = {"t2v": {"r1": 1, "r5": 1, "r10": 1, "medr": 1, "meanr": 1}, "v2t": {"r1": 1}, "rsum": 3}
    bad.write_text(json.dumps(body))
    with pytest.raises(HanetError, match=r"metrics.json: missing key v2t.r5"):
        aggregate(runs, tmp_path / "o")
    bad.unlink()
    with pytest.raises(HanetError, match=r"seed1.metrics.json: file not found"):
        aggregate(runs, tmp_path / "o")
    assert not (tmp_path / "o" / "runs.csv").exists()


def test_missing_baseline_and_mismatched_queries(runs, tmp_path):
    with pytest.raises(HanetError, match="baseline variant 'nope'"):
        aggregate(runs, tmp_path / "o", baseline="nope")
    make_run(runs, "short", 0, [1, 2, 3], [1, 1, 1, 1])
    with pytest.raises(HanetError, match="short.seed0.ranks.npz: t2v test queries differ"):
        aggregate(runs, tmp_path / "o", n_boot=10)


def test_reference_tables_keep_provenance(runs, tmp_path):
    out = tmp_path / "o"
    aggregate(runs, out, n_boot=20, reference="config/reference-results.csv", dataset_name="msrvtt")
    ref = pd.read_csv(out / "reference.csv", dtype=str, keep_default_na=False)
    assert set(ref["dataset"]) == {"msrvtt"}
    hanet_paper = ref[ref["method"] == "HANet"].iloc[0]
    assert hanet_paper["status"] == "unverified" and hanet_paper["t2v_r1"] == "9.3"
    ours = ref[ref["method"] == "hanet-bench full"].iloc[0]
    assert ours["t2v_r1"] == "75.00" and ours["status"].startswith("measured here")
    md = (out / "reference.md").read_text()
    assert "**unverified**" in md and "**partly verified**" in md
    with pytest.raises(HanetError, match="--dataset-name"):
        aggregate(runs, out, reference="config/reference-results.csv")


def test_deterministic_outputs(runs, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    aggregate(runs, a, n_boot=100, seed=3)
    aggregate(runs, b, n_boot=100, seed=3)
    for name in ("ablation.csv", "ablation.md", "ablation.tex"):
        assert (a / name).read_text() == (b / name).read_text()


def test_concept_accuracy_columns_blank_without_a_concept_branch(tmp_path):
    from fake_runs import concept_block

    root = tmp_path / "synth"
    for seed, (t, v) in FULL.items():
        make_run(root, "full", seed, t, v, concepts=concept_block(20.0 + 10 * seed))
    for seed, (t, v) in ABL.items():
        make_run(root, "no_concepts", seed, t, v)
    out = tmp_path / "out"
    aggregate(root, out, n_boot=50)
    runs_csv = pd.read_csv(out / "runs.csv")
    assert list(runs_csv["concept_video_verb_map"][:2]) == [20.0, 30.0]
    assert list(runs_csv["concept_caption_noun_pk"][:2]) == [33.0, 43.0]
    assert runs_csv["concept_video_verb_map"][2:].isna().all()
    ab = pd.read_csv(out / "ablation.csv").set_index("variant")
    assert ab.loc["full", "concept_video_verb_map_mean"] == 25.0
    assert ab.loc["full", "concept_video_verb_map_std"] == pytest.approx(np.std([20, 30], ddof=1))
    assert np.isnan(ab.loc["no_concepts", "concept_video_verb_map_mean"])
    assert ab.loc["chance", "concept_video_noun_pk_mean"] == 5.0
    md = (out / "ablation.md").read_text()
    section = md.split("## Concept accuracy")[1]
    assert "video action P@4" in section and "video entity P@6" in section
    row = next(line for line in section.splitlines() if line.startswith("| `no_concepts`"))
    assert row.replace(" ", "") == "|`no_concepts`|||||||||"
    assert "| `full` | 25.0 ± 7.1 | 35.0 ± 7.1 |" in section
    tex = (out / "ablation.tex").read_text().split(r"\label{tab:ablation}")[1]
    assert r"\label{tab:concepts}" in tex and "video action P@4" in tex
    assert r"\texttt{full} & 25.0 $\pm$ 7.1 & 35.0 $\pm$ 7.1 &" in tex
    tex_row = next(line for line in tex.splitlines() if line.startswith(r"\texttt{no\_concepts}"))
    assert tex_row.replace(" ", "") == r"\texttt{no\_concepts}&&&&&&&&\\"


def test_no_concept_section_without_concept_runs(runs, tmp_path):
    aggregate(runs, tmp_path / "out", n_boot=50)
    assert "Concept accuracy" not in (tmp_path / "out" / "ablation.md").read_text()
    assert "tab:concepts" not in (tmp_path / "out" / "ablation.tex").read_text()


def test_resolvable_difference_printed_under_the_table(runs, tmp_path):
    table = aggregate(runs, tmp_path / "out", n_boot=100)
    row = table.set_index("variant").loc["no_local"]
    half = (row["delta_rsum_hi"] - row["delta_rsum_lo"]) / 2
    md = (tmp_path / "out" / "ablation.md").read_text()
    assert f"are ±{half:.1f} rsum wide at the median" in md
    std = table.set_index("variant").loc["full", "rsum_std"]
    assert f"Seed std of `full` rsum: {std:.1f}." in md
