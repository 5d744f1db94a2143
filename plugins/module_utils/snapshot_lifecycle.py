# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run of a snapshot lifecycle module, shared by the RDS and ElastiCache modules.

A service adapter lists the manual snapshots of one source (one paginated listing),
creates, deletes and (RDS) copies them; this module validates the arguments, applies
the retention policy of snapshot_retention and builds the result. Check mode makes no
mutating call.
"""

import datetime
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.dbfleet.aws.plugins.module_utils.problems import fail_with_problems
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import plan
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import render_name
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_identifier
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_name_template
from ansible_collections.dbfleet.aws.plugins.module_utils.snapshot_retention import validate_policy

RETENTION_OPTIONS = dict(
    keep_last=dict(type="int"),
    daily=dict(type="int"),
    weekly=dict(type="int"),
    monthly=dict(type="int"),
    yearly=dict(type="int"),
    max_age_days=dict(type="int"),
)


def lifecycle_argument_spec(source_option):
    return {
        source_option: dict(type="str", required=True),
        "create": dict(type="bool", default=False),
        "snapshot_name": dict(type="str", default="{source}-{purpose}-{timestamp}"),
        "purpose": dict(type="str", default="manual"),
        "purpose_tag": dict(type="str", default="Purpose"),
        "tags": dict(type="dict", default={}),
        "retention": dict(type="dict", options=RETENTION_OPTIONS),
        "protect_tag_key": dict(type="str", default="retain", no_log=False),
        "protect_tag_value": dict(type="str", default="true"),
        "copies": dict(type="list", elements="dict", default=[], options=dict(
            region=dict(type="str", required=True),
            kms_key_id=dict(type="str"),
            snapshot_name=dict(type="str", default="{snapshot}"),
            tags=dict(type="dict", default={}),
            retention=dict(type="dict", options=RETENTION_OPTIONS),
        )),
        "wait": dict(type="bool", default=True),
        "wait_timeout": dict(type="int", default=1800),
        "concurrency": dict(type="int", default=4),
    }


def validate_common(params, source_option, max_name_length):
    problems = []
    problems += validate_identifier(params[source_option], source_option, max_name_length)
    problems += validate_policy(params["retention"], "retention")
    template_problems = validate_name_template(params["snapshot_name"], "snapshot_name")
    problems += template_problems
    if params["create"] and not template_problems:
        name = render_name(params["snapshot_name"], params[source_option], params["purpose"], utcnow())
        problems += validate_identifier(name, "snapshot_name", max_name_length)
    if not params["create"] and params["retention"] is None and not params["copies"]:
        problems.append("create, retention, copies: nothing to do; give create=true, a retention policy "
                        "or copies")
    if not 1 <= params["concurrency"] <= 20:
        problems.append("concurrency: must be between 1 and 20, got %d" % params["concurrency"])
    if params["wait_timeout"] < 1:
        problems.append("wait_timeout: must be at least 1 second, got %d" % params["wait_timeout"])
    return problems


def list_pages(client, operation, result_key, page_size, **request):
    """(every item, number of pages) of a listing, through botocore's paginator; retried as a
    whole on throttling, as amazon.aws's paginated_query_with_retries does. The pages are
    counted: each is one API call, which the modules report as listing_calls."""
    @AWSRetry.jittered_backoff()
    def listing():
        items, pages = [], 0
        for page in client.get_paginator(operation).paginate(PaginationConfig={"PageSize": page_size}, **request):
            pages += 1
            items += page[result_key]
        return items, pages
    return listing()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def snapshot_summary(snapshot):
    return {
        "id": snapshot["id"],
        "source": snapshot["source"],
        "created": snapshot["created"].isoformat(),
        "status": snapshot.get("status"),
        "arn": snapshot.get("arn"),
        "tags": snapshot.get("tags") or {},
    }


def apply_retention(module, adapter, snapshots, policy, region):
    """Plan and (outside check mode) delete; returns (kept, deleted) entries."""
    params = module.params
    kept, deleted = plan(snapshots, policy, utcnow(), params["protect_tag_key"], params["protect_tag_value"])
    for entry in kept + deleted:
        entry["region"] = region
    if deleted and not module.check_mode:
        with ThreadPoolExecutor(max_workers=params["concurrency"]) as pool:
            # list() re-raises the first failure of any deletion.
            list(pool.map(lambda entry: adapter.delete(region, entry["id"]), deleted))
    return kept, deleted


def create_snapshot(module, adapter, source):
    """The new snapshot's dict (predicted in check mode), or None."""
    params = module.params
    if not params["create"]:
        return None
    now = utcnow()
    name = render_name(params["snapshot_name"], source, params["purpose"], now)
    tags = dict(params["tags"])
    if params["purpose_tag"]:
        tags[params["purpose_tag"]] = params["purpose"]
    if module.check_mode:
        return {"id": name, "source": source, "created": now, "tags": tags, "type": "manual",
                "status": "creating", "arn": None}
    snapshot = adapter.create(name, source, tags)
    if params["wait"]:
        snapshot = adapter.wait_available(name, params["wait_timeout"])
    return snapshot


def copy_snapshots(module, adapter, source, snapshots, created):
    """Copy the newest manual snapshot to each copies[] region and apply that region's policy."""
    params = module.params
    results, kept, deleted = [], [], []
    manual = [snapshot for snapshot in snapshots if snapshot["type"] == "manual"]
    newest = created or (max(manual, key=lambda snapshot: (snapshot["created"], snapshot["id"])) if manual else None)
    for entry in params["copies"]:
        region = entry["region"]
        targets = adapter.list_manual(source, region)
        copy = None
        if newest is not None:
            target_name = entry["snapshot_name"].format(snapshot=newest["id"], source=source)
            copy = next((snapshot for snapshot in targets if snapshot["id"] == target_name.lower()), None)
            changed = copy is None
            if copy is None:
                tags = dict(newest.get("tags") or {})
                tags.update(entry["tags"])
                if module.check_mode:
                    copy = {"id": target_name.lower(), "source": source, "created": newest["created"], "tags": tags,
                            "type": "manual", "status": "creating", "arn": None}
                else:
                    copy = adapter.copy(newest, target_name, region, entry["kms_key_id"], tags)
                targets.append(copy)
            results.append(dict(snapshot_summary(copy), region=region, source_snapshot=newest["id"], changed=changed))
        if entry["retention"] is not None:
            region_kept, region_deleted = apply_retention(module, adapter, targets, entry["retention"], region)
            kept += region_kept
            deleted += region_deleted
    return results, kept, deleted


def run(module, adapter, source_option, extra_problems):
    """Validate, create, prune, copy; exits the module."""
    params = module.params
    problems = validate_common(params, source_option, adapter.max_name_length) + extra_problems
    for index, entry in enumerate(params["copies"]):
        problems += validate_policy(entry["retention"], "copies[%d].retention" % index)
        problems += adapter.copy_problems(index, entry)
        try:
            entry["snapshot_name"].format(snapshot="snapshot", source="source")
        except (KeyError, IndexError, ValueError) as e:
            problems.append("copies[%d].snapshot_name: %r is not a valid template (%s); the fields are "
                            "{snapshot} and {source}" % (index, entry["snapshot_name"], e))
    if problems:
        fail_with_problems(module, problems)

    source = params[source_option].lower()
    created = create_snapshot(module, adapter, source)
    snapshots = adapter.list_manual(source, adapter.region)
    if created is not None and created["id"] not in [snapshot["id"] for snapshot in snapshots]:
        snapshots.append(created)
    before = sorted(snapshot["id"] for snapshot in snapshots if created is None or snapshot["id"] != created["id"])
    kept, deleted = [], []
    if params["retention"] is not None:
        kept, deleted = apply_retention(module, adapter, snapshots, params["retention"], adapter.region)
    copies, copies_kept, copies_deleted = copy_snapshots(module, adapter, source, snapshots, created)
    deleted_here = set(entry["id"] for entry in deleted)
    after = sorted(snapshot["id"] for snapshot in snapshots if snapshot["id"] not in deleted_here)
    module.exit_json(
        changed=bool(created or deleted or copies_deleted or any(copy["changed"] for copy in copies)),
        snapshot=snapshot_summary(created) if created else {},
        deleted=deleted + copies_deleted,
        kept=kept + copies_kept,
        copies=copies,
        listing_calls=adapter.listing_calls,
        diff={"before": {"snapshots": before}, "after": {"snapshots": after}},
    )
