"""QLoRA SFT driver: config (TOML + overrides), data rendering with answer-only loss, model backends
(unsloth / transformers+bitsandbytes / plain), and the training loop with checkpoints and resume.

Nothing here imports torch at module level; ``vf_luanti.train.trainer.train`` does when called.
"""

from .config import ConfigError, TrainConfig, load_config

__all__ = ["ConfigError", "TrainConfig", "load_config"]
