#!/bin/bash
# CI-agent style: fix the workspace as root, then `runuser -u builder --` for the job.
set -euo pipefail
mkdir -p /workspace && chown builder: /workspace
exec runuser -u builder -- bash -c 'touch /workspace/job && echo "job ran as $(id -un)"'
