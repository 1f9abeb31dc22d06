"""The PEP 517 build backend of python/pyproject.toml: it zips the `spaceport` package into a
pure-Python wheel with the metadata pyproject.toml declares. It needs nothing but the standard
library, so `pip install ./python` works on a machine that reaches no package index (pip would
otherwise fetch setuptools into its isolated build environment first). Also builds the sdist and
the editable wheel (`pip install -e ./python`, PEP 660)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11 builds with the backport when it is there
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "spaceport"


def _project() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _dist_name(project: dict) -> str:
    return f"{project['name'].replace('-', '_')}-{project['version']}"


def _metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}", f"Summary: {project['description']}"]
    lines.append(f"License: {project.get('license', {}).get('text', '')}")
    lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {req}" for req in project.get("dependencies", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {req}; extra == "{extra}"' for req in reqs]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(ROOT, project["readme"]), encoding="utf-8") as f:
        return "\n".join(lines) + "\n\n" + f.read()


def _dist_info(project: dict) -> dict[str, str]:
    scripts = project.get("scripts", {})
    files = {
        "METADATA": _metadata(project),
        "WHEEL": "Wheel-Version: 1.0\nGenerator: spaceport build_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if scripts:
        files["entry_points.txt"] = "[console_scripts]\n" + "".join(f"{name} = {target}\n" for name, target in scripts.items())
    return files


def _package_files() -> list[str]:
    found = []
    for folder, dirs, names in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [os.path.relpath(os.path.join(folder, n), ROOT) for n in names if n.endswith(".py")]
    return sorted(found)


def _write_wheel(wheel_directory: str, contents: dict[str, bytes]) -> str:
    project = _project()
    name = _dist_name(project)
    info = f"{name}.dist-info"
    contents = {**contents, **{f"{info}/{k}": v.encode() for k, v in _dist_info(project).items()}}
    record = []
    filename = f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in contents.items():
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    contents = {}
    for path in _package_files():
        with open(os.path.join(ROOT, path), "rb") as f:
            contents[path.replace(os.sep, "/")] = f.read()
    return _write_wheel(wheel_directory, contents)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth line puts python/ on sys.path: edits to the package take effect without reinstalling.
    return _write_wheel(wheel_directory, {f"_{PACKAGE}_editable.pth": (ROOT + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    name = _dist_name(_project())
    filename = f"{name}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for path in ["pyproject.toml", "README.md", "build_backend/wheel_backend.py", *_package_files()]:
            sdist.add(os.path.join(ROOT, path), arcname=f"{name}/{path}")
        info = tarfile.TarInfo(f"{name}/PKG-INFO")
        data = _metadata(_project()).encode()
        info.size = len(data)
        sdist.addfile(info, io.BytesIO(data))
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []
