"""WSGI middleware around moto: call recorder, fault injection and the control API.

Control API (JSON, outside the AWS routing):
    GET    /_local_aws/health      200 {"status": "ok", ...}
    GET    /_local_aws/faults      current rules
    POST   /_local_aws/faults      {"rules": [{"action", "service"?, "first_n" | "rate", "error"}]}
    DELETE /_local_aws/faults      clear all rules
    GET    /_local_aws/delays      current delay
    POST   /_local_aws/delays      {"seconds": N}
    GET    /_local_aws/log-shipping   how often running instances ship WAL
    POST   /_local_aws/log-shipping   {"seconds": N} (0: at every describe; default 300)
    POST   /_local_aws/reset       moto state, data plane, faults and delays back to empty
"""

import io
import json
import os
import re
import threading
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs

from botocore.parsers import RpcV2CBORParser

from .recorder import CALLS_FILE
from .runtime import DEFAULT_LOG_SHIP_SECONDS, runtime

CONTROL_PREFIX = "/_local_aws/"
MOTO_RESET_PATH = "/moto-api/reset"
RPC_V2_CBOR_PATH = re.compile(r"^/service/[^/]+/operation/(?P<operation>[^/]+)$")
ID_SUFFIXES = ("Identifier", "Name", "Id", "Arn", "ARN")
ID_EXACT_NAMES = ("SecretId",)
# Settings that are no identifiers but tell tests what a call did (never a value).
RECORDED_SETTINGS = ("AuthTokenUpdateStrategy",)
MAX_ID_LENGTH = 200
FAULT_MESSAGES = {"Throttling": "Rate exceeded", "ServiceUnavailable": "Service unavailable"}


class AwsCall:
    """What the recorder and fault injection need to know about one request."""

    def __init__(self, environ, body):
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "")
        self.service, self.region = credential_scope(environ.get("HTTP_AUTHORIZATION", ""))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        content_type = environ.get("CONTENT_TYPE", "")
        cbor = RPC_V2_CBOR_PATH.match(self.path)
        params = {}
        if target:
            self.protocol = "json"
            self.action = target.rsplit(".", 1)[-1]
            params = json_object(body)
        elif cbor:
            self.protocol = "cbor"
            self.action = cbor["operation"]
            params = cbor_object(body)
        else:
            form = parse_qs(environ.get("QUERY_STRING", ""))
            if content_type.startswith("application/x-www-form-urlencoded"):
                form.update(parse_qs(body.decode("utf-8", "replace")))
            params = {key: values[0] for key, values in form.items()}
            if "Action" in params:
                self.protocol = "ec2" if self.service == "ec2" else "query"
                self.action = params["Action"]
            else:
                self.protocol = "rest"
                self.action = f"{self.method} {self.path}"
        self.ids = main_identifiers(params)

    @property
    def is_aws_api(self):
        return self.service is not None


def credential_scope(authorization):
    """(service, region) from a SigV4 Authorization header, (None, None) if unsigned."""
    match = re.search(r"Credential=[^/]+/\d+/(?P<region>[^/]+)/(?P<service>[^/]+)/", authorization)
    return (match["service"], match["region"]) if match else (None, None)


def json_object(body):
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def cbor_object(body):
    try:
        parsed = RpcV2CBORParser().parse_data_item(io.BytesIO(body)) if body else {}
    except (ValueError, IndexError, KeyError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def main_identifiers(params):
    """Top-level identifier parameters and RECORDED_SETTINGS only: never values such as
    passwords or secrets."""
    return {
        name: value[:MAX_ID_LENGTH]
        for name, value in params.items()
        if isinstance(value, str) and "." not in name
        and (name.endswith(ID_SUFFIXES) or name in ID_EXACT_NAMES + RECORDED_SETTINGS)
    }


def error_code_from_body(body):
    text = body[:4000].decode("utf-8", "replace")
    xml_code = re.search(r"<Code>([^<]+)</Code>", text)
    if xml_code:
        return xml_code.group(1)
    json_type = json_object(body).get("__type")
    if isinstance(json_type, str):
        return json_type.rsplit("#", 1)[-1]
    return None


def cbor_text(value):
    encoded = value.encode()
    return cbor_head(3, len(encoded)) + encoded


def cbor_head(major_type, length):
    if length < 24:
        return bytes([major_type << 5 | length])
    if length < 256:
        return bytes([major_type << 5 | 24, length])
    return bytes([major_type << 5 | 25]) + length.to_bytes(2, "big")


def fault_response(call, code):
    """(status, headers, body) of an AWS error in the call's protocol."""
    status = 400 if code == "Throttling" else 503
    message = FAULT_MESSAGES[code]
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol == "json":
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
        body = json.dumps({"__type": code, "message": message}).encode()
    elif call.protocol == "cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"),
                    ("x-amzn-query-error", f"{code};{'Sender' if status == 400 else 'Receiver'}")]
        body = (cbor_head(5, 2) + cbor_text("__type") + cbor_text(code)
                + cbor_text("message") + cbor_text(message))
    elif call.protocol == "ec2":
        headers.append(("Content-Type", "text/xml"))
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
    else:
        headers.append(("Content-Type", "text/xml"))
        kind = "Sender" if status == 400 else "Receiver"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId>"
                f"</ErrorResponse>").encode()
    return status, headers, body


class CallLog:
    """Appends one JSON line per AWS API call to $STATE_DIR/calls.jsonl."""

    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, CALLS_FILE)
        self.lock = threading.Lock()
        # Open once: an open() per call cost a sixth of a DeleteDBSnapshot's time. Line
        # buffered, so that a reader sees each call as soon as it is answered. The state
        # dir is removed only once the server is down (purge).
        self.log = open(self.path, "a", encoding="utf-8", buffering=1)

    def append(self, call, status, error):
        line = json.dumps({
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "service": call.service,
            "action": call.action,
            "region": call.region,
            "ids": call.ids,
            "status": status,
            "error": error,
        })
        with self.lock:
            self.log.write(line + "\n")


class LocalAwsMiddleware:
    """Wraps moto's WSGI app; `reset` empties moto and the data plane."""

    def __init__(self, app, reset):
        self.app = app
        self.reset = reset
        self.call_log = CallLog(runtime.state_dir)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, start_response, path[len(CONTROL_PREFIX):])
        if path == MOTO_RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
            self.reset()
            return self.app(environ, start_response)
        body = read_body(environ)
        call = AwsCall(environ, body)
        if not call.is_aws_api:
            return self.app(environ, start_response)
        fault = runtime.fault_for(call.service, call.action)
        if fault:
            code = "Throttling" if fault == "Throttling" else "ServiceUnavailable"
            status, headers, fault_body = fault_response(call, code)
            self.call_log.append(call, status, code)
            start_response(f"{status} {'Bad Request' if status == 400 else 'Service Unavailable'}",
                           headers + [("Content-Length", str(len(fault_body)))])
            return [fault_body]
        return self.forward(environ, start_response, call)

    def forward(self, environ, start_response, call):
        captured = {}

        def recording_start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, recording_start_response))
        status = captured.get("status", 500)
        error = None
        if status >= 400:
            error_type = dict((k.lower(), v) for k, v in captured.get("headers", [])).get(
                "x-amzn-errortype")
            error = (error_type.split(":", 1)[0] if error_type else None) or \
                error_code_from_body(b"".join(chunks)) or str(status)
        self.call_log.append(call, status, error)
        return chunks

    def control(self, environ, start_response, route):
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            payload = json_object(read_body(environ)) if method == "POST" else {}
            status, answer = self.control_answer(method, route, payload)
        except (ValueError, TypeError, KeyError) as problem:
            status, answer = 400, {"error": str(problem)}
        body = json.dumps(answer).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(body)))])
        return [body]

    def control_answer(self, method, route, payload):
        if (method, route) == ("GET", "health"):
            return 200, {"status": "ok", "pid": os.getpid(), "state_dir": str(runtime.state_dir),
                         "extensions": runtime.extensions}
        if route == "faults" and method in ("GET", "POST", "DELETE"):
            if method == "POST":
                runtime.set_faults(payload["rules"])
            elif method == "DELETE":
                runtime.set_faults([])
            return 200, runtime.describe()
        if route == "delays" and method in ("GET", "POST"):
            if method == "POST":
                runtime.set_state_delay(payload["seconds"])
            return 200, runtime.describe()
        if route == "log-shipping" and method in ("GET", "POST"):
            if method == "POST":
                runtime.set_log_ship(payload["seconds"])
            return 200, {"seconds": runtime.log_ship_seconds}
        if (method, route) == ("POST", "reset"):
            self.reset()
            runtime.set_faults([])
            runtime.set_state_delay(0)
            runtime.set_log_ship(DEFAULT_LOG_SHIP_SECONDS)
            return 200, {"status": "reset"}
        return 404, {"error": f"no control route {method} /_local_aws/{route}"}


def read_body(environ):
    """Read the request body and put it back for the wrapped application."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        body = stream.read()  # chunked transfer: no Content-Length
    else:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = stream.read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body
