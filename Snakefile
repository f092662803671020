# hanet-bench: HANet benchmark and ablation suite.
#
#   acquire data -> extract frame features -> parse captions -> train every ablation x seed
#     -> evaluate on test -> aggregate tables, plots, report
#
# Run `snakemake --cores all`; see README.md. Settings: config/config.yaml (validated against
# workflow/schemas/config.schema.yaml). Variants: every ablations/*.yaml (file stem = variant id).

from snakemake.utils import min_version

min_version("8.10")  # as pyproject.toml: profiles/default is picked up, resources and report() as used here

from snakemake.exceptions import WorkflowError

from hanet.workflow_config import check_config_files

check_config_files(["config/config.yaml"], error=WorkflowError)  # malformed YAML (its line) or a duplicate key
configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/common_real.smk"
include: "workflow/rules/common_gpu.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/real_data.smk"
include: "workflow/rules/release.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


report: "workflow/report/workflow.rst"


rule all:
    input:
        get_final_outputs(),
    default_target: True


onsuccess:
    # One short console summary: where the tables and the report are, and the top of each ablation table.
    shell(f"hanet summary --results results --datasets {','.join(config['datasets'])}")
