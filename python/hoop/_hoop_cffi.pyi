# The cffi extension module hoop._hoop_cffi (built by hoop_build.py) has no
# type information: its ffi and lib are typed Any here, in one place, so
# that mypy --strict checks the rest of the package against it.
from typing import Any

ffi: Any
lib: Any
