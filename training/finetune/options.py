"""The accurate mode's options, and the recipe they resolve to for a given training set.

The defaults are the recipe measured in docs/accurate-mode.md. Few-shot sets (few examples per
intent) train longer on smaller, class-balanced batches with a supervised contrastive loss beside
cross-entropy: on BANKING77 10-shot that added 1.2 points; on the full set it only cost time.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class AccurateOptions(BaseModel):
    """Fine-tuning settings; a field left at None is chosen from the data (few-shot or not)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int | None = Field(default=None, ge=1, le=50, description="None: 4, or 6 when few-shot.")
    batch_size: int | None = Field(default=None, ge=2, le=256, description="None: 32, or 16 when few-shot.")
    body_lr: float | None = Field(
        default=None, gt=0, le=1e-2, description="Encoder learning rate. None: 6e-5, or 5e-5 when few-shot."
    )
    head_lr: float = Field(default=1e-3, gt=0, le=1.0)
    head_c: float | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="C of the logistic regression that starts the head. None: 100, or 10.",
    )
    supcon_weight: float | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Supervised contrastive loss weight. None: 0, or 1 when few-shot.",
    )
    supcon_temperature: float = Field(default=0.05, gt=0, le=1)
    few_shot_below: int = Field(
        default=20, ge=2, description="A set whose median intent has fewer examples than this is few-shot."
    )
    weight_decay: float = Field(default=0.01, ge=0, le=1)
    warmup: float = Field(default=0.1, ge=0, lt=1, description="Share of steps with a rising learning rate.")
    label_smoothing: float = Field(default=0.1, ge=0, lt=1)
    max_tokens: int = Field(default=128, ge=8, le=512, description="Longer texts are cut while training.")
    threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Torch threads; one was fastest on 2 cores (docs/accurate-mode.md).",
    )
    bf16: bool | None = Field(
        default=None, description="bf16 autocast. None: when the CPU has bf16 instructions."
    )
    max_steps: int | None = Field(
        default=None, ge=1, description="Stop after this many steps (quick trials)."
    )


AS_GIVEN = {
    "head_lr",
    "supcon_temperature",
    "weight_decay",
    "warmup",
    "label_smoothing",
    "max_tokens",
    "threads",
    "max_steps",
}
"""The options the recipe takes unchanged, whatever the data."""


@dataclass(frozen=True)
class Recipe:
    """The settings of one run, with every data-dependent choice made."""

    few_shot: bool
    epochs: int
    batch_size: int
    body_lr: float
    head_lr: float
    head_c: float
    supcon_weight: float
    supcon_temperature: float
    weight_decay: float
    warmup: float
    label_smoothing: float
    max_tokens: int
    threads: int
    bf16: bool
    max_steps: int | None


def resolve(options: AccurateOptions, per_label: list[int], bf16_available: bool) -> Recipe:
    """The recipe for a set with ``per_label`` examples per label."""
    counts = sorted(per_label)
    few = counts[len(counts) // 2] < options.few_shot_below if counts else True

    def pick(value: float | int | None, full: float | int, few_shot: float | int) -> float | int:
        return value if value is not None else (few_shot if few else full)

    return Recipe(
        few_shot=few,
        epochs=int(pick(options.epochs, 4, 6)),
        batch_size=int(pick(options.batch_size, 32, 16)),
        body_lr=float(pick(options.body_lr, 6e-5, 5e-5)),
        head_c=float(pick(options.head_c, 100.0, 10.0)),
        supcon_weight=float(pick(options.supcon_weight, 0.0, 1.0)),
        bf16=bf16_available if options.bf16 is None else options.bf16,
        **options.model_dump(include=AS_GIVEN),
    )
