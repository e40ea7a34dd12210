"""Find the one-per-module classes of a package (rules, recipes): adding one means adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import ClassVar, Protocol, TypeVar


class Identified(Protocol):
    """What the entries are keyed by: a class-level ``id`` (``Rule.id``, ``Recipe.id``)."""

    id: ClassVar[str]


T = TypeVar("T", bound=Identified)


def instances_in_package(package: str, path: Iterable[str], base: type[T], skip: set[str]) -> dict[str, T]:
    """One instance of every subclass of ``base`` defined in the package's modules, keyed by its ``id``.

    Modules named ``_*`` are the package's helpers (``rules/_common.py``): they define no entries and
    are imported by the modules that use them. Two classes with the same id are a programming error and
    raise at import, not at run time.
    """
    found: dict[str, T] = {}
    for module_info in pkgutil.iter_modules(path):
        if module_info.name in skip or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{module_info.name}")
        for value in vars(module).values():
            defined_here = isinstance(value, type) and issubclass(value, base) and value is not base
            if defined_here and value.__module__ == module.__name__:
                entry: type[T] = value
                identifier = entry.id
                if identifier in found:
                    raise RuntimeError(f"two classes in {package} share the id {identifier!r}")
                found[identifier] = entry()
    return found
