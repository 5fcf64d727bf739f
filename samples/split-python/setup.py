"""split-python: installed with `pip install .`, run through its console script."""

from setuptools import setup

setup(
    name="split-python",
    version="1.0.0",
    packages=["splitpy"],
    entry_points={"console_scripts": ["split-python = splitpy.main:main"]},
)
