"""Small networks and data shared by the nn tests."""

import torch
from torch import nn


def small_net(seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 6),
        nn.LayerNorm(6),
        nn.Tanh(),
        nn.Linear(6, 3),
    ).to(dtype)


def regression(seed=0, n=80, p=12, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, p, generator=g, dtype=dtype)
    coef = torch.zeros(p, dtype=dtype)
    coef[:3] = torch.tensor([2.0, -3.0, 1.5], dtype=dtype)
    y = X @ coef + 0.5 * torch.randn(n, generator=g, dtype=dtype)
    return X, y
