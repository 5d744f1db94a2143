"""execution-environment.yml: `ansible-builder create` produces a build context holding
this collection and the Python packages the runtime pins (no container runtime needed)."""
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import ansible.release
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
ARTIFACT = "dbfleet-aws-0.1.0.tar.gz"


def pins(path):
    """{package: version} of the `name==version` lines of a requirements file."""
    found = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.split("[")[0].lower()] = version
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context, made from a copy of the definition beside a freshly built collection."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path",
                    str(work / ".build" / "dist")], cwd=REPO, check=True, capture_output=True)
    result = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "-f", str(work / "execution-environment.yml"),
         "-c", str(work / "context"), "--output-filename", "Containerfile"],
        cwd=work, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return work / "context"


def test_containerfile_installs_the_collections_and_python_packages(context):
    containerfile = (context / "Containerfile").read_text()
    assert "ARG EE_BASE_IMAGE=\"quay.io/centos/centos:stream9\"" in containerfile
    assert "ARG PYCMD=\"/usr/bin/python3.11\"" in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "COPY _build /build" in containerfile
    assert "RUN /output/scripts/check_ansible $PYCMD" in containerfile
    # pg_dump and pg_restore of the migrate runbook.
    assert "RUN dnf -y module enable postgresql:16 && dnf -y install postgresql" in containerfile


def test_the_collection_artifact_is_in_the_context(context):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    local = [c for c in requirements["collections"] if c.get("type") == "file"]
    assert local == [{"name": f"collections/{ARTIFACT}", "type": "file"}]
    with tarfile.open(context / "_build" / "collections" / ARTIFACT) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
        names = tar.getnames()
    assert (manifest["collection_info"]["namespace"], manifest["collection_info"]["name"]) == ("dbfleet", "aws")
    assert "playbooks/provision.yml" in names and "roles/rds/tasks/main.yml" in names


def test_python_and_ansible_pins_follow_the_runtime(context):
    image = pins(context / "_build" / "requirements.txt")
    runtime = pins(REPO / "requirements.txt")
    assert image == {name: runtime[name] for name in ("boto3", "botocore", "psycopg2-binary", "redis")}
    assert "moto" not in image
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    assert definition["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core=={ansible.release.__version__}"
