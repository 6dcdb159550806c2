"""Every public class and function documents exactly the parameters of its signature.

``help(Lasso)`` must list what ``Lasso(...)`` takes: a parameter missing from the
docstring is invisible to a user, one documented but not in the signature is stale.
Classes that specialize another (``Lasso`` of ``ElasticNet``) take the entries they do
not write from it (``shrinkage._docs.inherit_entries``).
"""

import dataclasses
import importlib.util
import inspect

import pytest

import shrinkage
import shrinkage.linear_model as linear_model
from shrinkage._docs import (
    documented_parameters,
    inherit_entries,
    section_entries,
    split_sections,
)

ESTIMATORS = [
    getattr(linear_model, name)
    for name in linear_model.__all__
    if inspect.isclass(getattr(linear_model, name))
]


def _public_callables():
    modules = [shrinkage]
    if importlib.util.find_spec("torch") is not None:  # shrinkage.nn's names need torch
        import shrinkage.nn as nn

        modules.append(nn)
    found = []
    for module in modules:
        for name in module.__all__:
            obj = getattr(module, name)
            try:
                inspect.signature(obj)
            except (TypeError, ValueError):
                continue  # a constant, or a callable without a signature
            found.append(pytest.param(obj, id=f"{module.__name__}.{name}"))
    return found


@pytest.mark.parametrize("obj", _public_callables())
def test_public_functions_and_classes_document_their_parameters(obj):
    signature = set(inspect.signature(obj).parameters) - {"self"}
    _, sections = split_sections(obj.__doc__)
    parameters = documented_parameters(obj.__doc__)
    documented = set(parameters)
    if dataclasses.is_dataclass(obj):  # fields may be described as Attributes
        attributes = section_entries(sections.get("Attributes", ""))
        documented |= {name for names, _ in attributes for name in names}
    assert not signature - documented, f"undocumented: {sorted(signature - documented)}"
    assert not parameters - signature, f"not parameters: {sorted(parameters - signature)}"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_docstring_has_attributes(estimator):
    _, sections = split_sections(estimator.__doc__)
    names = {n for names, _ in section_entries(sections.get("Attributes", "")) for n in names}
    assert "n_features_in_" in names or any("n_features_in_" in n for n in names)


def test_inherited_entries_fill_only_what_is_missing():
    class Parent:
        """Parent.

        Parameters
        ----------
        a : int
            The a.
        b, c : float
            Two at once.
        d : str

        Attributes
        ----------
        a_ : int
        z_ : int
        """

        def __init__(self, a=1, b=2.0, c=3.0, d="x"):
            pass

    @inherit_entries(Parent)
    class Child:
        """Child.

        Parameters
        ----------
        c : float
            The child's own c.
        """

        def __init__(self, b=2.0, c=3.0, z=0):
            pass

    _, sections = split_sections(Child.__doc__)
    entries = section_entries(sections["Parameters"])
    # c is the child's; "b, c" is not split; a and d are not parameters of the child.
    assert [names for names, _ in entries] == [["c"]]
    assert "The child's own c." in sections["Parameters"]
    # a_ names a parameter the child lacks; z_ stays.
    assert [names for names, _ in section_entries(sections["Attributes"])] == [["z_"]]
