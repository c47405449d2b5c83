"""Data-parallel training that is the same training as one process with the whole batch.

Each process holds a share of every global batch. The losses are written so that DDP's
average of the processes' gradients is the gradient of the global batch's loss: the InfoNCE
loss scores each process's rows against every process's rows (gathered, gradients flowing
back to their owners), and the LM loss divides by the global count of answer tokens. With
one process (or outside ``torch.distributed``) these are the plain means.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def world() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def total(count: torch.Tensor) -> torch.Tensor:
    """``count`` summed over the processes (no gradient)."""
    if world() == 1:
        return count
    count = count.detach().clone()
    dist.all_reduce(count)
    return count


def gathered(rows: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Every process's ``rows`` in process order, and where this process's start. Shares may
    differ by a row (the last batch of an epoch); gradients reach each process's own rows."""
    if world() == 1:
        return rows, 0
    from torch.distributed.nn.functional import all_gather

    sizes = [torch.zeros((), dtype=torch.long, device=rows.device) for _ in range(world())]
    dist.all_gather(sizes, torch.tensor(len(rows), device=rows.device))
    counts = [int(s) for s in sizes]
    padding = rows.new_zeros((max(counts) - len(rows), *rows.shape[1:]))
    parts = all_gather(torch.cat([rows, padding]))
    start = sum(counts[: dist.get_rank()])
    return torch.cat([part[:n] for part, n in zip(parts, counts, strict=True)]), start
