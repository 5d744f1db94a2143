# -*- coding: utf-8 -*-

# Copyright: Contributors to the dbfleet.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Options both snapshot lifecycle modules share (module_utils/snapshot_lifecycle.py's
# lifecycle_argument_spec); each module documents its source, create, snapshot_name,
# copies and wait itself.


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  purpose:
    description:
      - Why the snapshot is taken, for example V(pre-deploy). Fills C({purpose}) and the O(purpose_tag).
    type: str
    default: manual
  purpose_tag:
    description:
      - Tag key that records O(purpose) on the new snapshot. An empty string adds no such tag.
    type: str
    default: Purpose
  tags:
    description:
      - Further tags of the new snapshot.
    type: dict
    default: {}
  retention:
    description:
      - Retention policy for the manual snapshots of the DB instance or replication group in the
        module's region. Without it nothing is deleted.
      - A rule left out or set to 0 selects nothing.
    type: dict
    suboptions:
      keep_last:
        description: Keep the N newest snapshots.
        type: int
      daily:
        description: Keep the newest snapshot of each of the N most recent UTC days that have one.
        type: int
      weekly:
        description: Keep the newest snapshot of each of the N most recent ISO weeks that have one.
        type: int
      monthly:
        description: Keep the newest snapshot of each of the N most recent months that have one.
        type: int
      yearly:
        description: Keep the newest snapshot of each of the N most recent years that have one.
        type: int
      max_age_days:
        description:
          - Delete snapshots older than this many days, even when a rule above selects them.
          - Alone (no other rule), every snapshot younger than that is kept.
        type: int
  protect_tag_key:
    description:
      - Snapshots with this tag set to O(protect_tag_value) (compared without case) are never deleted.
    type: str
    default: retain
  protect_tag_value:
    description: See O(protect_tag_key).
    type: str
    default: "true"
  wait_timeout:
    description: Seconds to wait for the new snapshot.
    type: int
    default: 1800
  concurrency:
    description:
      - Deletions made at the same time (1 to 20). Throttled calls are retried with jittered backoff.
    type: int
    default: 4
notes:
  - Check mode makes no mutating call; it lists the snapshots that would be deleted and why each
    kept snapshot is kept.
"""
