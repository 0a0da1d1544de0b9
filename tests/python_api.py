"""python_api test: the public surface of the hoop Python package.

    python python_api.py

For each public module (hoop, hoop.asyncio): __all__ exists, lists only
public names that the module defines or re-exports on purpose (no modules,
no typing helpers, no cffi objects), and `import *` gives exactly __all__;
every name in __all__ has a docstring, and so has every public method and
property of the public classes; help() of the module shows no
ForwardRef(...) (annotations written as strings that NamedTuple or typing
left unresolved). Prints every problem found and exits 1, or 0 if none.
"""

import importlib
import inspect
import pydoc
import sys
import types

MODULES = ["hoop", "hoop.asyncio"]

# Constants are data, not callables or classes: they carry no docstring
# of their own (a `#:` comment documents them in the source).
DATA_OK = (str, int, float, bytes, tuple, frozenset)


def own_doc(obj):
    doc = getattr(obj, "__doc__", None)
    return isinstance(doc, str) and doc.strip() != ""


def class_members(cls):
    """Public methods and properties defined in `cls` itself (hoop's code),
    not inherited from builtins (tuple.count, ...)."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, (types.FunctionType, property)):
            yield name, member


def check_module(modname, problems):
    mod = importlib.import_module(modname)
    exported = getattr(mod, "__all__", None)
    if exported is None:
        problems.append("%s: no __all__" % modname)
        return
    if len(set(exported)) != len(exported):
        problems.append("%s: __all__ lists a name twice" % modname)
    for name in exported:
        if name.startswith("_"):
            problems.append("%s.__all__: %s is private" % (modname, name))
        if not hasattr(mod, name):
            problems.append("%s.__all__: %s is not defined" % (modname, name))
            continue
        obj = getattr(mod, name)
        if isinstance(obj, types.ModuleType):
            problems.append("%s.__all__: %s is a module" % (modname, name))
            continue
        if type(obj).__module__ == "typing":
            # a type alias (hoop.Request = Union[...]): documented by a
            # `#:` comment, it can carry no docstring of its own
            continue
        home = getattr(obj, "__module__", None)
        if home is not None and not (home == "hoop" or home.startswith("hoop.")):
            problems.append("%s.__all__: %s comes from %s, not hoop"
                            % (modname, name, home))
        if isinstance(obj, DATA_OK):
            continue
        if not own_doc(obj):
            problems.append("%s.%s: no docstring" % (modname, name))
        if inspect.isclass(obj):
            for mname, member in class_members(obj):
                if not own_doc(member):
                    problems.append("%s.%s.%s: no docstring" % (modname, name, mname))
    star = {}
    exec("from %s import *" % modname, star)
    got = sorted(k for k in star if k != "__builtins__")
    if got != sorted(exported):
        problems.append("%s: import * gives %s, __all__ is %s"
                        % (modname, got, sorted(exported)))
    text = pydoc.render_doc(mod, renderer=pydoc.plaintext)
    for line in text.splitlines():
        if "ForwardRef(" in line:
            problems.append("%s: help() shows %s" % (modname, line.strip()))


def main():
    problems = []
    for modname in MODULES:
        check_module(modname, problems)
    for p in problems:
        print(p)
    if problems:
        print("%d problem(s)" % len(problems))
        return 1
    print("python_api: %s: __all__, docstrings and help() are clean" % ", ".join(MODULES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
