"""The accurate intent mode: fine-tune the encoder on the tenant's examples (docs/accurate-mode.md)."""

from training.finetune.options import AccurateOptions
from training.finetune.tune import TunedEncoder, tune_encoder

__all__ = ["AccurateOptions", "TunedEncoder", "tune_encoder"]
