"""Maps the role folders at the repository root into the one import package `semstream`."""

from setuptools import find_packages, setup

ROLE_FOLDERS = ("topics", "actors", "deployments", "models")


def role_packages(folder: str) -> list[str]:
    return [f"semstream.{folder}"] + [f"semstream.{folder}.{sub}" for sub in find_packages(folder)]


setup(
    packages=find_packages(include=["semstream", "semstream.*"])
    + [name for folder in ROLE_FOLDERS for name in role_packages(folder)],
    package_dir={"semstream": "semstream", **{f"semstream.{f}": f for f in ROLE_FOLDERS}},
    package_data={
        "semstream": ["demo/*"],
        "semstream.deployments": ["static/*"],
        "semstream.models": ["judge/*.md", "qu/data/*"],
    },
)
