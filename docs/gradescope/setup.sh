#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): see README.md here.
# The autograder zip holds: setup.sh, run_autograder, assignment.py and tinygrad-edu/ (a copy of this
# repository, or replace the pip line with `pip install tinygrad-edu==<version>` from an index you trust).
set -euo pipefail

apt-get update
# bubblewrap: the sandbox's read-only file system, private /tmp, no network and PID namespace, where the
# container lets it create namespaces; elsewhere the grader falls back to process limits and says so.
apt-get install -y --no-install-recommends python3 python3-venv bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir /autograder/source/tinygrad-edu
# try the grader on the TA's own solution once, at build time: a broken assignment fails the build here
if [ -d /autograder/source/solution ]; then
    /autograder/venv/bin/tinygrad-edu grade /autograder/source/assignment.py /autograder/source/solution \
        --out /tmp/solution-graded --jobs 1
fi
