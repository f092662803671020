"""The `hanet` console script: one subcommand per workflow stage.

Each stage lives in its own module and exposes ``cli(argv)``, which parses its own
arguments (so ``hanet <stage> --help`` documents it) and runs it. Snakemake calls
exactly these entry points. A :class:`HanetError` is printed as one line and exits 1.
"""

from __future__ import annotations

import importlib
import sys

from hanet.errors import HanetError, describe_os_error

# stage name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("hanet.data.synthetic", "generate the embedded synthetic dataset (videos + MSR-VTT-style annotation)"),
    "treebank": ("hanet.data.synthetic", "write the synthetic language's gold-tagged treebank"),
    "phenomena": ("hanet.data.phenomena", "tag every synthetic caption with the phenomena it exercises (slices)"),
    "prepare": ("hanet.data.prepare", "turn an MSR-VTT-style annotation into splits/ + captions.json"),
    "extract": ("hanet.features.extract", "extract per-frame features from video files into HDF5"),
    "frames": ("hanet.data.frames_figure", "draw a few videos as frame strips with their captions"),
    "parse": ("hanet.text.prepare", "tokenize, tag, lemmatize and parse captions; build vocabularies and concepts"),
    "glove": ("hanet.text.glove", "GloVe word embeddings for a vocabulary, as a checkpoint for train.init_from"),
    "download": ("hanet.data.download", "download a file with resume and SHA-256 verification"),
    "msrvtt": ("hanet.data.msrvtt", "unpack and prepare MSR-VTT"),
    "vatex": ("hanet.data.vatex", "prepare VATEX captions, splits and I3D features"),
    "folder": ("hanet.data.folder", "import your own dataset: a folder of HDF5 features, captions and splits"),
    "release": ("hanet.data.release", "read the authors' HANet/HGR release into prepared/, features/ and text/"),
    "nltk-data": ("hanet.text.nltk_data", "fetch and verify the NLTK data used for real captions"),
    "train": ("hanet.train.loop", "train one HANet variant with one seed"),
    "evaluate": ("hanet.train.evaluate", "evaluate a checkpoint on the test split"),
    "import-checkpoint": ("hanet.train.import_checkpoint", "convert a public HANet checkpoint into a project checkpoint"),
    "aggregate": ("hanet.results.aggregate", "aggregate run folders into tables"),
    "plots": ("hanet.results.plots", "draw the result plots of one dataset"),
    "slices": ("hanet.results.slices", "text-to-video recall per phenomenon slice and twin discrimination (synthetic)"),
    "budget": ("hanet.results.budget", "choose the training budget from the full model's validation curves"),
    "summary": ("hanet.results.summary", "print where the results are and the top of each ablation table"),
    "gpu-run": ("hanet.gpus", "run a command on a GPU of its own (one job per GPU)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:
        from hanet import __version__
        print(f"hanet-bench {__version__}")
        return 0
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        print("usage: hanet <stage> [options]   (hanet <stage> --help for details; hanet --version)\n\nstages:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<{width}}  {text}")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    entry = getattr(module, "cli_" + name.replace("-", "_"), None) or module.cli
    try:
        entry(rest)
    except HanetError as err:
        print(f"hanet {name}: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a full disk, a read-only or unwritable folder: one line, no traceback
        message = describe_os_error(err)
        if message is None:
            raise
        print(f"hanet {name}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
