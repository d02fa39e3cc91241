"""The project's wiring: one dependency set, the README's commands, CI calling the test command."""
import tomllib

import yaml

from conftest import ROOT


def test_pip_and_conda_share_one_dependency_set():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"]
    assert "torch==2.13.0" in deps, "an exact torch pin keeps CUDA wheels out"
    assert any(d.startswith("jupyter-book") and "<2" in d for d in deps)
    assert "nbgrader==0.9.6" in deps
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ['-e ".[test]"'], "conda installs exactly pyproject.toml's set"
    assert "python=3.11" in env["dependencies"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "./course build" in readme and "./course test" in readme
    assert "exec ./course test" in (ROOT / ".ci" / "run").read_text()


def test_nbgrader_folders():
    config = (ROOT / "nbgrader_config.py").read_text()
    assert 'source_directory = "solutions"' in config
    assert 'release_directory = "exercises"' in config
    assert sorted(p.name for p in (ROOT / "solutions").iterdir()) == \
        sorted(p.name for p in (ROOT / "exercises").iterdir())
