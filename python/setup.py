"""setup.py exists for cffi_modules and for the sdist, which must carry the
C core with it: python/ alone does not hold core/, include/ or bindings/."""

import os
import shutil

from setuptools import setup
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
VENDORED = ["core", "include", "bindings/hoop_ffi.h"]


class sdist_with_core(sdist):
    """Copy the C sources into the release tree as _vendor/."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        src_root = os.path.dirname(HERE)
        for rel in VENDORED:
            src = os.path.join(src_root, rel)
            dst = os.path.join(base_dir, "_vendor", rel)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True)
            elif os.path.isfile(src):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)


setup(
    cffi_modules=["hoop_build.py:ffibuilder"],
    cmdclass={"sdist": sdist_with_core},
)
