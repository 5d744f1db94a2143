"""psql on a DB instance of the local endpoint, with the credentials of its secret.

    python -m tools.local_aws.psql [--secret NAME] [--region REGION] [-- PSQL ARGUMENTS]

Reads the connection secret (default: the local inventory's, dbfleet/local/rds/credentials
in us-east-1) from the endpoint's Secrets Manager and runs psql with its host, port,
database and user; the password goes through PGPASSWORD, never the command line.
`make psql` runs it; `make psql SECRET=dbfleet/local/rds/users/readonly_user` opens another user's.
"""

import argparse
import json
import os
import sys

from . import configured_port, configured_state_dir
from .client import LocalAws
from .dataplane.postgres import pg_bin

DEFAULT_SECRET = "dbfleet/local/rds/credentials"
DEFAULT_REGION = "us-east-1"


def connection(secret_name, region):
    client = LocalAws(configured_port(), configured_state_dir()).client("secretsmanager", region)
    return json.loads(client.get_secret_value(SecretId=secret_name)["SecretString"])


def psql_command(secret, extra_args):
    """argv and extra environment of psql for a connection secret."""
    argv = [pg_bin("psql"), "--host", str(secret["host"]), "--port", str(secret["port"]),
            "--username", secret["username"], "--dbname", secret.get("dbname") or secret["username"], *extra_args]
    return argv, {"PGPASSWORD": secret["password"], "PGCONNECT_TIMEOUT": "10"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.local_aws.psql", description=__doc__.splitlines()[0])
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="connection secret name (%(default)s)")
    parser.add_argument("--region", default=DEFAULT_REGION, help="its region (%(default)s)")
    parser.add_argument("psql_args", nargs="*", help="arguments for psql, after --")
    args = parser.parse_args(argv)
    try:
        secret = connection(args.secret, args.region)
    except Exception as problem:  # pylint: disable=broad-except  # the reason is the message
        print(f"cannot read secret {args.secret} in {args.region} from the local endpoint: {problem}; "
              "is it up (make up) and provisioned (make demo)?", file=sys.stderr)
        return 1
    command, environment = psql_command(secret, args.psql_args)
    os.execve(command[0], command, {**os.environ, **environment})
    return 0


if __name__ == "__main__":
    sys.exit(main())
