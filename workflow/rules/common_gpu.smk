# GPU slots: which jobs ask for a GPU, how many run at once, and which GPU each one gets.
#
#   GPUs visible here     GPU jobs (training, evaluation, CNN feature extraction) declare gpu=1; the
#                         global `gpu` limit is the number of visible GPUs (CUDA_VISIBLE_DEVICES, else
#                         nvidia-smi; --resources gpu=N overrides it), and `hanet gpu-run` gives each job
#                         its own GPU (a lock per GPU, then CUDA_VISIBLE_DEVICES=<that GPU>), waiting if
#                         all are taken. So even without a profile no GPU runs two jobs.
#   no GPU visible        gpu=0: jobs run on the CPU, limited by --cores only.
#   SLURM                 profiles/slurm sets gpu=1 for the GPU jobs (the plugin turns it into --gpus=1)
#                         and gpu=0 for the rest; on the node, gpu-run picks among the allocated GPUs.
# `device: cpu` in config/config.yaml switches every GPU request off; `device: cuda:N` runs every GPU
# job on GPU N, one at a time. The command lines do not depend on the machine (no spurious re-runs):
# `hanet gpu-run --count {resources.gpu}` decides at run time.

import sys

from hanet.gpus import visible_gpus

USES_CUDA = config["device"] != "cpu"
# A job limit (--jobs, as profiles/slurm sets it) that the CLI did not turn into --cores means a cluster
# executor, as Snakemake's scheduler reads it (a local `-j N` becomes `--cores N`).
CLUSTER_RUN = workflow.global_resources["_nodes"].value is not None
LOCAL_GPUS = visible_gpus() if (USES_CUDA and not CLUSTER_RUN) else []
NETWORK_RULES = ("download_dataset_file", "download_weights", "nltk_data")  # made localrules in real_data.smk

if CLUSTER_RUN and workflow.is_main_process:
    print(f"hanet-bench: cluster run; local rules (they need the network, so they run on this node): "
          f"{', '.join(NETWORK_RULES)}; GPU requests come from the profile (profiles/slurm: gpu)", file=sys.stderr)

if LOCAL_GPUS and "gpu" not in workflow.global_resources:
    workflow.register_resource("gpu", 1 if config["device"].startswith("cuda:") else len(LOCAL_GPUS))
if LOCAL_GPUS and workflow.is_main_process:
    print(f"hanet-bench: {len(LOCAL_GPUS)} GPU(s) visible ({','.join(LOCAL_GPUS)}); at most "
          f"{workflow.global_resources['gpu'].value} GPU job(s) at once, each on its own GPU (hanet gpu-run)",
          file=sys.stderr)


def gpu_jobs(needs_gpu=True):
    """Value of `resources: gpu` for a job that runs on a GPU when it has one (1 when GPUs are visible)."""
    return 1 if needs_gpu and LOCAL_GPUS else 0


def extraction_uses_gpu(wildcards):
    """A CNN extractor (MSR-VTT kind) runs on a GPU; the synthetic descriptor is CPU-only."""
    return config["data"][wildcards.dataset]["kind"] == "msrvtt"
