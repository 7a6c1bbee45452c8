"""Packages of the build; everything else about it is in pyproject.toml.

The one thing pyproject.toml cannot say: its `packages.find` names a package after its
folder, and the top-level `samples/` folder (the demo's banks, blueprints and policies) must
ship as the package `qbank_samples` (`package-dir` and `package-data` in pyproject.toml map
it and name its files), so that `qbank demo` finds its samples in an installed wheel
(`qbank.samples.sample_dir`). Its subfolders are listed too, as setuptools asks of folders
that hold package data.
"""

from setuptools import find_namespace_packages, setup

PACKAGES = ["qbank*", "formats*", "importers*", "exporters*", "workflows*", "cli*", "web*"]
SAMPLES = "qbank_samples"

setup(
    packages=[
        *find_namespace_packages(include=PACKAGES),
        SAMPLES,
        *(f"{SAMPLES}.{name}" for name in find_namespace_packages(where="samples")),
    ]
)
