#!/bin/sh
# Like images that use util-linux setpriv instead of gosu: prepare as root, then drop.
set -e
chown -R app:app /srv/app/var
exec setpriv --reuid=app --regid=app --init-groups "$@"
