#!/bin/sh
# Like paperless-ngx: chown the data dir as root, run the app via `s6-setuidgid paperless`.
set -e
chown -R paperless:paperless /usr/src/paperless/data
exec s6-setuidgid paperless "$@"
