"""Small networks and data shared by the nn tests."""

import torch
from torch import nn

F = nn.functional


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


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(10, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 3)
    ).double()


def batches(n_steps, seed=0, n=32):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(256, 10, generator=g, dtype=torch.float64)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    for _ in range(n_steps):
        rows = torch.randint(0, 256, (n,), generator=g)
        yield X[rows], y[rows]


def train(model, opt, n_steps, loss_penalty=None, seed=0, scheduler=None):
    for x, y in batches(n_steps, seed):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if loss_penalty is not None:
            loss = loss + loss_penalty()
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


def zero_fraction(model):
    ws = [model[0].weight, model[3].weight]
    return sum(int((w == 0).sum()) for w in ws) / sum(w.numel() for w in ws)
