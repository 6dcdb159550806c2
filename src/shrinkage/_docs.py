"""Docstrings of classes and functions that specialize another (``Lasso`` is ``ElasticNet``
with ``l1_ratio=1``, ``lasso_path`` is ``enet_path``, ``nn.L1`` a ``Penalty``): the
entries they do not write themselves come from their parents.

``help(Lasso)`` and an editor's hover then list every parameter with its type, default and
meaning, while the text lives in one place. ``tests/test_docstrings.py`` checks that every
public class and function documents exactly the parameters of its signature.
"""

from __future__ import annotations

import inspect
import re

_SECTION = re.compile(r"^(?P<title>[A-Z][A-Za-z ]+)\n-{3,}\n", re.M)
#: numpydoc's order of the sections that follow the summary.
_ORDER = ("Parameters", "Returns", "Attributes", "See Also", "Notes", "References", "Examples")


def split_sections(doc: str) -> tuple[str, dict[str, str]]:
    """The summary text and ``{section title: body}`` of a numpydoc docstring."""
    doc = inspect.cleandoc(doc or "")
    found = list(_SECTION.finditer(doc))
    summary = doc[: found[0].start()] if found else doc
    sections = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(doc)
        sections[match["title"]] = doc[match.end() : end].strip("\n")
    return summary.strip("\n"), sections


def section_entries(body: str) -> list[tuple[list[str], str]]:
    """``(names, text)`` per entry of a Parameters or Attributes section.

    An entry starts at an unindented line, ``name : type`` or ``a, b : type`` or a bare
    ``a, b`` (a reference such as "As :class:`ElasticNet`" follows, indented).
    """
    entries: list[tuple[list[str], list[str]]] = []
    for line in body.splitlines():
        if line and not line[0].isspace():
            head = line.split(" :")[0]
            names = [name.strip().lstrip("*") for name in head.split(",") if name.strip()]
            entries.append((names, [line]))
        elif entries:
            entries[-1][1].append(line)
    return [(names, "\n".join(lines).rstrip()) for names, lines in entries]


def documented_parameters(doc: str) -> set[str]:
    """The names the Parameters section of ``doc`` documents."""
    _, sections = split_sections(doc)
    entries = section_entries(sections.get("Parameters", ""))
    return {name for names, _ in entries for name in names}


def inherit_entries(*parents):
    """Decorator: complete a class's or function's docstring from ``parents``.

    A parameter of the class's signature that its own docstring does not document takes
    the typed entry (``name : type``) of the first parent that has one, else a parent's
    reference entry ("``a, b`` -- As :class:`X`"), narrowed to the missing names. A class
    without an Attributes section takes its first parent's, less those named after a
    parameter the class does not have (``l1_ratio_`` for ``Lasso``); a function without
    a Returns section takes its first parent's. Its own text and other sections stay as
    written.
    """

    def decorate(cls):
        summary, own = split_sections(cls.__doc__)
        inherited = [split_sections(parent.__doc__)[1] for parent in parents]
        signature = list(inspect.signature(cls).parameters)
        parameters = section_entries(own.get("Parameters", ""))
        documented = {name for names, _ in parameters for name in names}
        # Typed entries ("alpha : float, default=1.0") first, from any parent; a bare
        # reference ("fit_intercept, tol" / "As :class:`ElasticNet`") only as a last resort.
        for typed in (True, False):
            for sections_of_parent in inherited:
                for names, text in section_entries(sections_of_parent.get("Parameters", "")):
                    head, _, body = text.partition("\n")
                    if (" : " in head) != typed:
                        continue
                    missing = [n for n in names if n in signature and n not in documented]
                    if not missing:
                        continue
                    if typed and missing != names:
                        continue  # "a, b : type" is taken whole or not at all
                    if not typed:  # a reference: name only the missing parameters
                        text = ", ".join(missing) + ("\n" + body if body else "")
                    parameters.append((missing, text))
                    documented.update(missing)
        order = {name: i for i, name in enumerate(signature)}
        parameters.sort(key=lambda entry: min(order.get(n, len(order)) for n in entry[0]))
        sections = dict(own)
        sections["Parameters"] = "\n".join(text for _, text in parameters)
        first = inherited[0]
        if "Returns" not in own and "Returns" in first:
            sections["Returns"] = first["Returns"]
        if "Attributes" not in own:  # a class that writes its own keeps them as written
            foreign = set(inspect.signature(parents[0]).parameters) - set(signature)
            attributes = [
                text
                for names, text in section_entries(first.get("Attributes", ""))
                if not {n.rstrip("_") for n in names} & foreign
            ]
            if attributes:
                sections["Attributes"] = "\n".join(attributes)
        parts = [summary]
        for title in sorted(sections, key=lambda t: _ORDER.index(t) if t in _ORDER else 99):
            parts.append(f"{title}\n{'-' * len(title)}\n{sections[title]}")
        cls.__doc__ = "\n\n".join(parts) + "\n"
        return cls

    return decorate
