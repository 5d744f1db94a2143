"""Process-wide settings of a running endpoint, shared by middleware and extensions."""

import json
import os
import random
import threading
from pathlib import Path

DEFAULT_LOG_SHIP_SECONDS = 300.0


def seconds_at_least_zero(value):
    seconds = float(value)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    return seconds


class FaultRule:
    """One fault rule: which calls fail (first N or a fraction) and with which error."""

    ERRORS = ("Throttling", "503")

    def __init__(self, action, error, service=None, first_n=None, rate=None):
        if error not in self.ERRORS:
            raise ValueError(f"error must be one of {', '.join(self.ERRORS)}, got {error!r}")
        if (first_n is None) == (rate is None):
            raise ValueError("exactly one of first_n and rate must be given")
        if rate is not None and not 0 <= float(rate) <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate!r}")
        self.action = action
        self.service = service
        self.error = error
        self.remaining = int(first_n) if first_n is not None else None
        self.rate = float(rate) if rate is not None else None

    @classmethod
    def from_dict(cls, rule):
        unknown = set(rule) - {"action", "service", "first_n", "rate", "error"}
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        if "action" not in rule or "error" not in rule:
            raise ValueError("a fault rule needs 'action' and 'error'")
        return cls(**rule)

    def matches(self, service, action):
        """`action` "*" matches every action (of `service`, when given)."""
        return self.action in ("*", action) and self.service in (None, service)

    def fire(self):
        """Whether this call fails; consumes one of the first N."""
        if self.remaining is not None:
            if self.remaining > 0:
                self.remaining -= 1
                return True
            return False
        return random.random() < self.rate

    def as_dict(self):
        described = {"action": self.action, "service": self.service, "error": self.error}
        if self.remaining is not None:
            described["remaining"] = self.remaining
        else:
            described["rate"] = self.rate
        return described


class Runtime:
    """Faults, delays and the state directory of this endpoint process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state_dir = None
        self.fault_rules = []
        self.state_delay_seconds = 0.0
        # RDS uploads transaction logs every five minutes (LatestRestorableTime's step).
        self.log_ship_seconds = DEFAULT_LOG_SHIP_SECONDS
        self.extensions = []

    def configure(self, state_dir, faults_json=None, state_delay=None, log_ship=None):
        self.state_dir = Path(state_dir)
        faults = json.loads(faults_json) if faults_json else []
        self.set_faults(faults["rules"] if isinstance(faults, dict) else faults)
        self.set_state_delay(state_delay or 0)
        self.set_log_ship(DEFAULT_LOG_SHIP_SECONDS if log_ship is None else log_ship)

    def configure_from_environment(self, state_dir):
        self.configure(state_dir, os.environ.get("LOCAL_AWS_FAULTS"),
                       os.environ.get("LOCAL_AWS_STATE_DELAY"),
                       os.environ.get("LOCAL_AWS_LOG_SHIP_SECONDS"))

    def set_faults(self, rules):
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self.lock:
            self.fault_rules = parsed

    def fault_for(self, service, action):
        """The error ("Throttling" or "503") this call must fail with, or None."""
        with self.lock:
            for rule in self.fault_rules:
                if rule.matches(service, action) and rule.fire():
                    return rule.error
        return None

    def set_state_delay(self, seconds):
        self.state_delay_seconds = seconds_at_least_zero(seconds)

    def set_log_ship(self, seconds):
        """How often a running instance's WAL is shipped (0: on every describe)."""
        self.log_ship_seconds = seconds_at_least_zero(seconds)

    def describe(self):
        with self.lock:
            return {"faults": [rule.as_dict() for rule in self.fault_rules],
                    "delay_seconds": self.state_delay_seconds}


runtime = Runtime()
