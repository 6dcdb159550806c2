"""The benchmark tasks: which fits, on which problems, along which alpha grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from objectives import alpha_max
from problems import short_path

REGRESSION_PROBLEMS = ("dense_tall", "dense_wide", "sparse", "diabetes", "diabetes_poly3")
CLASSIFICATION_PROBLEMS = ("dense_tall", "dense_wide", "sparse", "breast_cancer", "digits")
#: p > n or very sparse: stop the path at 1e-2 alpha_max, before it interpolates.
SHORT_PATH_PROBLEMS = {"dense_wide", "sparse"}


@dataclass(frozen=True)
class Task:
    """A fit to time: ``method`` of every adapter, on ``problems``."""

    name: str
    title: str
    method: str
    loss: str  # "squared_error" or "logistic"
    l1_ratio: float
    problems: tuple[str, ...]
    n_alphas: int

    def eps(self, problem_name: str) -> float:
        if self.name == "single_lasso":
            return 1.0 / 20.0
        if (self.loss == "logistic" or problem_name in SHORT_PATH_PROBLEMS
                or short_path(problem_name)):
            return 1e-2
        return 1e-3

    def target(self, problem):
        return problem.y01 if self.loss == "logistic" else problem.y

    def alphas(self, problem) -> np.ndarray:
        """Decreasing grid from alpha_max to ``eps * alpha_max`` (one alpha for a single
        fit: ``alpha_max / 20``)."""
        top = alpha_max(problem.X, self.target(problem), self.l1_ratio)
        eps = self.eps(problem.name)
        if self.n_alphas == 1:
            return np.array([top * eps])
        return np.geomspace(top, top * eps, self.n_alphas)

    def call(self, adapter, problem, alphas, tol):
        """Run the adapter's method for this task; returns ``(coefs, intercepts)``."""
        X, target = problem.X, self.target(problem)
        if self.method == "enet_path":
            return adapter.enet_path(X, target, alphas, self.l1_ratio, tol)
        if self.method == "lasso_cv":
            return adapter.lasso_cv(X, target, alphas, tol)
        if self.method == "single_fit":
            return adapter.single_fit(X, target, float(alphas[0]), tol)
        return getattr(adapter, self.method)(X, target, alphas, tol)


TASKS = {
    task.name: task
    for task in (
        Task("lasso_path", "Lasso path (100 alphas)", "lasso_path", "squared_error", 1.0,
             REGRESSION_PROBLEMS, 100),
        Task("enet_path", "Elastic-net path (l1_ratio=0.5, 100 alphas)", "enet_path",
             "squared_error", 0.5, REGRESSION_PROBLEMS, 100),
        Task("logistic_l1_path", "L1-logistic path (50 alphas, eps=1e-2)", "logistic_l1_path",
             "logistic", 1.0, CLASSIFICATION_PROBLEMS, 50),
        Task("lasso_cv", "5-fold LassoCV (100 alphas, KFold(5), refit)", "lasso_cv",
             "squared_error", 1.0, (), 100),
        Task("single_lasso", "Single lasso fit (alpha = alpha_max/20, from zero)", "single_fit",
             "squared_error", 1.0, REGRESSION_PROBLEMS, 1),
    )
}


def selected_cells(args) -> list[tuple[Task, str]]:
    """(task, problem name) pairs of ``args.tasks`` restricted to ``args.problems`` (all of
    each task's problems when None), in a stable order."""
    return [(task, name) for task in (TASKS[t] for t in args.tasks) for name in task.problems
            if args.problems is None or name in args.problems]
