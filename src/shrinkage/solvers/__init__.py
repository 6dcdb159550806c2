"""Solvers: Numba coordinate-descent kernels and the outer loops around them."""
