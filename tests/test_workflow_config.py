"""Parse-time checks of config/config.yaml and ablations/ (hanet.workflow_config), and the
Snakemake messages a user sees for them: one line naming the file or key, before any job."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_copy import copy_workflow

from hanet.cli import main
from hanet.errors import HanetError
from hanet.workflow_config import check_config_files, check_workflow, validate_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text())


@pytest.fixture()
def ablations(tmp_path) -> Path:
    folder = tmp_path / "ablations"
    folder.mkdir()
    for name, levels in (("full", "[individual, local, global]"), ("global_only", "[global]"), ("no_local", "[individual, global]")):
        (folder / f"{name}.yaml").write_text(f"description: {name}\nmodel:\n  levels: {levels}\n")
    return folder


def check(folder: Path, **changes):
    config = copy.deepcopy(CONFIG)
    config.update(changes)
    return check_workflow(config, SCHEMA, folder)


def test_shipped_config_passes(ablations):
    plan = check(ablations)
    assert plan.variants == ["full", "global_only", "no_local"] and plan.seeds == [0, 1, 2]
    assert (plan.baseline, plan.compare) == ("full", "global_only")


@pytest.mark.parametrize("seeds", [[0, 0], [1, "1"], ["2", "2"]])
def test_duplicate_seeds_are_refused(ablations, seeds):
    with pytest.raises(HanetError, match=r"config/config.yaml: seeds: .* is listed twice"):
        check(ablations, seeds=seeds)


def test_duplicate_datasets_or_ablations_are_refused(ablations):
    with pytest.raises(HanetError, match="datasets: 'synth' is listed twice"):
        check(ablations, datasets=["synth", "synth"])
    with pytest.raises(HanetError, match="ablations: 'full' is listed twice"):
        check(ablations, ablations=["full", "full"])


@pytest.mark.parametrize("key", ["baseline", "compare"])
def test_baseline_or_compare_naming_no_variant_is_refused(ablations, key):
    with pytest.raises(HanetError, match=rf"config/config.yaml: {key}: 'fulll' names no variant: there is no .*fulll.yaml"):
        check(ablations, **{key: "fulll"})


def test_baseline_outside_the_run_is_refused_compare_outside_is_dropped_with_a_note(ablations, capsys):
    with pytest.raises(HanetError, match=r"baseline: 'full' is not among this run's variants \(global_only\)"):
        check(ablations, ablations=["global_only"])
    plan = check(ablations, ablations=["full", "no_local"])
    assert plan.compare is None and "compare 'global_only' is not among this run's variants" in capsys.readouterr().err


def test_empty_or_missing_ablations_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(HanetError, match="no ablation files"):
        check(tmp_path / "empty")
    with pytest.raises(HanetError, match="folder not found"):
        check(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["my variant.yaml", "a.b.yaml", "ünï.yaml"])
def test_variant_file_names_outside_the_id_alphabet_are_refused(ablations, name):
    (ablations / name).write_text("description: x\n")
    with pytest.raises(HanetError, match=r"must match \[A-Za-z0-9_-\]\+"):
        check(ablations)


def test_yml_file_is_refused_not_skipped(ablations):
    (ablations / "wide.yml").write_text("description: x\n")
    with pytest.raises(HanetError, match="wide.yml: variant files must end in .yaml"):
        check(ablations)


def test_duplicate_key_in_an_ablation_file_is_refused(ablations):
    (ablations / "global_only.yaml").write_text("model:\n  levels: [global]\nmodel:\n  dim: 64\n")
    with pytest.raises(HanetError, match=r"global_only.yaml: line 3: duplicate key 'model'"):
        check(ablations)


def test_unknown_keys_are_named_without_dumping_the_schema(ablations):
    with pytest.raises(HanetError) as err:
        check(ablations, bogus=1)
    msg = str(err.value)
    assert msg.startswith("config/config.yaml: top level: Additional properties are not allowed ('bogus' was unexpected)")
    assert "\n" not in msg and len(msg) < 300 and "$schema" not in msg
    config = copy.deepcopy(CONFIG)
    config["data"]["synth"]["text"]["min_cnt"] = 2
    with pytest.raises(HanetError, match=r"data.synth.text: .*'min_cnt' was unexpected.*allowed here: .*min_count"):
        validate_schema(config, SCHEMA)



def test_standardize_is_refused_where_features_are_read_not_extracted():
    config = copy.deepcopy(CONFIG)
    config["data"]["vatex"]["features"]["standardize"] = True
    with pytest.raises(HanetError, match=r"data.vatex.features.standardize: False was expected"):
        validate_schema(config, SCHEMA)
    config["data"]["vatex"]["features"]["standardize"] = False
    config["data"]["msrvtt"]["features"]["standardize"] = True  # extracted here: allowed
    validate_schema(config, SCHEMA)

def test_config_file_duplicate_key_and_malformed_line(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("seeds: [0]\ndatasets: [synth]\nseeds: [1]\n")
    with pytest.raises(HanetError, match=r"dup.yaml: line 3: duplicate key 'seeds' \(first given on line 1\)"):
        check_config_files([dup])
    bad = tmp_path / "bad.yaml"
    bad.write_text("seeds: [0\ndatasets: [synth]\n")
    with pytest.raises(ValueError, match=r"bad.yaml: line 2, column \d+: malformed YAML"):
        check_config_files([bad], error=ValueError)


# Which stage receives each settings section of a dataset (workflow/rules/*.smk): every key the
# schema accepts must be a flag of that stage, so that no key is accepted here and refused by a job.
SECTION_STAGES = {"synth": ["synth"], "text": ["parse"], "features": ["extract"], "prepare": ["msrvtt", "vatex"]}
PASSED_OTHERWISE = {("features", "batch_size")}  # becomes --extractor-arg batch_size=N (common_real.smk)


def test_every_schema_key_reaches_a_stage_that_accepts_it(capsys):
    schema = yaml.safe_load(SCHEMA.read_text())
    dataset = schema["properties"]["data"]["additionalProperties"]["properties"]
    checked = 0
    for section, stages in SECTION_STAGES.items():
        spec = dataset[section]
        spec = schema["$defs"][spec["$ref"].rsplit("/", 1)[1]] if "$ref" in spec else spec
        helps = ""
        for stage in stages:
            with pytest.raises(SystemExit):
                main([stage, "--help"])
            helps += capsys.readouterr().out
        for key in spec["properties"]:
            if (section, key) not in PASSED_OTHERWISE:
                assert f"--{key.replace('_', '-')}" in helps, f"schema key data.*.{section}.{key}: no stage accepts it"
                checked += 1
    assert checked > 20


# ----------------------------------------------------------------------------- through Snakemake

def dry_run(work: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("snakemake")
    return subprocess.run([str(exe), "-n", "--cores", "1", *args], cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("wfc"))


CONFIG_LINES = (ROOT / "config/config.yaml").read_text().splitlines()
SEEDS_LINE = CONFIG_LINES.index("seeds: [0, 1, 2]") + 1


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace("seeds: [0, 1, 2]", "seeds: [0, 1, 2"),
     f"malformed YAML: expected ',' or ']', but got '?' (while parsing a flow sequence started on line {SEEDS_LINE})"),
    (lambda t: t + "seeds: [4]\n",
     f"config/config.yaml: line {len(CONFIG_LINES) + 1}: duplicate key 'seeds' (first given on line {SEEDS_LINE})"),
    (lambda t: t + "bogus: 1\n", "config/config.yaml: top level: Additional properties are not allowed ('bogus' was unexpected)"),
    (lambda t: t.replace("seeds: [0, 1, 2]", "seeds: [0, 1, 1]"), "config/config.yaml: seeds: 1 is listed twice"),
])
def test_snakemake_config_errors_are_one_message(work, edit, expected):
    path = work / "config/config.yaml"
    original = path.read_text()
    path.write_text(edit(original))
    try:
        proc = dry_run(work)
    finally:
        path.write_text(original)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and expected in out, out[-2000:]
    assert "Traceback" not in out and "$schema" not in out and len(out.splitlines()) < 12


def test_snakemake_refuses_bad_ablation_name_and_duplicate_key(work):
    cases = [("wide copy.yaml", "description: x\n", "ablations/wide copy.yaml: the file name is the variant id"),
             ("dup.yaml", "model:\n  levels: [global]\nmodel:\n  dim: 8\n",
              "ablations/dup.yaml: line 3: duplicate key 'model'")]
    for name, text, expected in cases:
        bad = work / "ablations" / name
        bad.write_text(text)
        try:
            proc = dry_run(work)
            assert proc.returncode != 0 and expected in proc.stdout + proc.stderr
        finally:
            bad.unlink()
    assert dry_run(work).returncode == 0


def test_budget_study_is_a_target_outside_the_default_run(work):
    """`snakemake results/synth/budget/budget.md` trains only the baseline, over the configured seeds,
    on standardised features; the default target does not schedule it."""
    proc = dry_run(work, "results/synth/budget/budget.md")
    assert proc.returncode == 0, proc.stderr[-2000:]
    budget = next(line for line in proc.stdout.splitlines() if "hanet budget " in line)
    assert "--ablation ablations/full.yaml" in budget and "--seeds 0,1,2" in budget and "--jobs 1" in budget
    assert "--standardize" in proc.stdout and "training_budget" in proc.stdout
    assert "training_budget" not in dry_run(work).stdout
