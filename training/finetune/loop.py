"""Fine-tune the encoder with a linear head on its pooled output, on CPU.

The head starts as a logistic regression on the frozen embeddings: a fresh head on 77 classes
reached 73 % after an epoch where this one reached 92 % (docs/accurate-mode.md), because the body
is no longer pulled about by a random head at the start. The embedding block stays frozen: its
250k-row word matrix would add 1.4 s to every optimiser step and it barely moves. The head is
only scaffolding: the served intent model is fitted afterwards on the tuned embeddings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from training.finetune.batches import Tokens, epochs
from training.finetune.options import Recipe
from training.linear import fit_logistic

StepProgress = Callable[[int, int], None]
"""Called after each step with (steps done, steps in all); it may raise to stop the run."""
FROZEN_BATCH = 64


def bf16_supported() -> bool:
    """Whether this CPU runs bf16 natively (emulated bf16 is slower than float32)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Torch's thread count is process-wide: set it for the run and put it back after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_body(folder: Path) -> Any:
    """The encoder of a local sentence-transformers folder, with its embedding block frozen."""
    from transformers import AutoModel

    from suggest.models.quiet import quiet_libraries

    with quiet_libraries():
        model = AutoModel.from_pretrained(
            str(folder), local_files_only=True, trust_remote_code=False, use_safetensors=True
        )
    for name, param in model.named_parameters():
        if name.startswith(("embeddings.", "pooler.")):
            param.requires_grad_(False)
    return model


def pooled(model: Any, ids: np.ndarray, mask: np.ndarray) -> Any:
    """Mean-pooled, L2-normalised sentence embeddings, as the served graph computes them."""
    import torch

    x, m = torch.from_numpy(ids), torch.from_numpy(mask)
    hidden = model(input_ids=x, attention_mask=m).last_hidden_state.float()
    weights = m.unsqueeze(-1).float()
    mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, dim=-1)


def embed_tokens(model: Any, tokens: Tokens, bf16: bool) -> np.ndarray:
    """Embeddings of every text, without gradients, in batches sorted by length."""
    import torch

    model.eval()
    order = sorted(range(len(tokens)), key=lambda i: len(tokens.ids[i]))
    out: np.ndarray | None = None
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), FROZEN_BATCH):
            rows = order[start : start + FROZEN_BATCH]
            vectors = pooled(model, *tokens.padded(rows)).numpy()
            if out is None:
                out = np.empty((len(tokens), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def supcon_loss(e: Any, y: Any, temperature: float) -> Any:
    """Supervised contrastive loss (Khosla et al. 2020) on normalised embeddings: each text is
    pulled towards the batch's other texts of its label and away from the rest."""
    import torch

    sims = e @ e.T / temperature
    self_mask = torch.eye(len(y), dtype=torch.bool)
    sims = sims.masked_fill(self_mask, float("-inf"))
    log_prob = sims - torch.logsumexp(sims, dim=1, keepdim=True)
    positives = (y[:, None] == y[None, :]) & ~self_mask
    counts = positives.sum(1)
    has = counts > 0
    if not bool(has.any()):
        return e.sum() * 0.0
    per_anchor = log_prob.masked_fill(~positives, 0.0).sum(1)[has] / counts[has]
    return -per_anchor.mean()


class Head:
    """``z = W (e - mu) + b``, started from a logistic regression on the frozen embeddings."""

    def __init__(self, frozen: np.ndarray, y: np.ndarray, n_labels: int, c: float, seed: int) -> None:
        import torch

        mu = frozen.mean(axis=0)
        weight, bias = fit_logistic(frozen - mu, y, n_labels, c=c, seed=seed)
        self.mu = torch.from_numpy(mu.astype(np.float32))
        self.weight = torch.nn.Parameter(torch.from_numpy(weight))
        self.bias = torch.nn.Parameter(torch.from_numpy(bias))

    def __call__(self, e: Any) -> Any:
        return (e - self.mu) @ self.weight.T + self.bias


def _optimizer(model: Any, head: Head, recipe: Recipe) -> Any:
    import torch

    body = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {
            "params": [p for p in body if p.ndim > 1],
            "lr": recipe.body_lr,
            "weight_decay": recipe.weight_decay,
        },
        {"params": [p for p in body if p.ndim <= 1], "lr": recipe.body_lr, "weight_decay": 0.0},
        {"params": [head.weight, head.bias], "lr": recipe.head_lr, "weight_decay": 0.0},
    ]
    for group in groups:
        group["base_lr"] = group["lr"]
    return torch.optim.AdamW(groups)


def schedule(step: int, total: int, warmup: float) -> float:
    """Linear warm-up over the first ``warmup`` share of steps, then linear decay to zero."""
    rising = max(1, int(warmup * total))
    if step < rising:
        return (step + 1) / rising
    return max(0.0, (total - step) / max(1, total - rising))


def fine_tune(
    model: Any,
    tokens: Tokens,
    y: Sequence[int],
    n_labels: int,
    recipe: Recipe,
    *,
    seed: int,
    progress: StepProgress | None = None,
) -> dict[str, Any]:
    """Train ``model`` in place; returns what the run's report keeps (steps, losses, seconds)."""
    import torch

    torch.manual_seed(seed)
    labels = np.asarray(y, dtype=np.int64)
    started = time.perf_counter()
    frozen = embed_tokens(model, tokens, recipe.bf16)
    head = Head(frozen, labels, n_labels, recipe.head_c, seed)
    start_accuracy = float((head(torch.from_numpy(frozen)).argmax(1).numpy() == labels).mean())
    head_at = time.perf_counter()
    optimizer = _optimizer(model, head, recipe)
    orders = epochs(tokens, labels.tolist(), recipe.batch_size, recipe.supcon_weight > 0, seed)
    # Every epoch's batches up front, so the schedule knows the real number of steps (pair batches
    # can be more and smaller than len / batch_size when there are few labels).
    full = [rows for _ in range(recipe.epochs) for rows in next(orders)]
    per_epoch = len(full) / recipe.epochs
    plan = full if recipe.max_steps is None else full[: recipe.max_steps]
    total = len(plan)
    losses: list[float] = []
    model.train()
    step = 0
    for rows in plan:
        factor = schedule(step, total, recipe.warmup)
        for group in optimizer.param_groups:
            group["lr"] = group["base_lr"] * factor
        target = torch.from_numpy(labels[rows])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=recipe.bf16):
            e = pooled(model, *tokens.padded(rows))
        loss = torch.nn.functional.cross_entropy(head(e), target, label_smoothing=recipe.label_smoothing)
        if recipe.supcon_weight > 0:
            loss = loss + recipe.supcon_weight * supcon_loss(e, target, recipe.supcon_temperature)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        losses.append(float(loss.detach()))
        step += 1
        if progress is not None:
            progress(step, total)
    model.eval()
    tail = max(1, len(losses) // 10)
    return {
        "steps": step,
        "epochs": round(step / per_epoch, 2),
        "start_training_accuracy": round(start_accuracy, 4),
        "loss_first": round(float(np.mean(losses[:tail])), 4) if losses else None,
        "loss_last": round(float(np.mean(losses[-tail:])), 4) if losses else None,
        "seconds": {
            "frozen_pass_and_head": round(head_at - started, 1),
            "training": round(time.perf_counter() - head_at, 1),
        },
    }
