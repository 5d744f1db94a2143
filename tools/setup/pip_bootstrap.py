"""Stand-in for the get-pip.py script that ansible-test downloads to bootstrap pip.

ansible-test creates its sanity virtualenvs without pip and then runs the cached
get-pip script (~/.ansible/test/cache/get_pip_<version>.py) with pip's install
arguments. Its download host is not reachable from every network; this script
does the same job from the standard library's ensurepip plus PyPI.
"""
import ensurepip
import os
import subprocess
import sys

# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null; the real install must see the
# machine's pip configuration (index, certificates).
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env))
