"""Package mapping that pyproject.toml cannot express.

The design card puts `fixers/` and `templates/` at the top of the repo, but they must ship
inside the one wheel as `hardenify.fixers` and `hardenify.templates` (no bare top-level
`fixers` module in site-packages). Both the wheel and editable installs use this mapping.
"""

from setuptools import find_packages, setup

packages = find_packages(include=["hardenify", "hardenify.*"])
# Rules may be packages (fixers/hf413_single_stage_toolchain/): ship them too.
packages += ["hardenify.fixers", *(f"hardenify.fixers.{p}" for p in find_packages("fixers"))]
packages = list(dict.fromkeys(packages))
packages += ["hardenify.templates"]

setup(
    packages=packages,
    package_dir={"hardenify": "hardenify", "hardenify.fixers": "fixers", "hardenify.templates": "templates"},
)
