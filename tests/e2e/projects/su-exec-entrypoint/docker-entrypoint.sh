#!/bin/sh
# Like docker-library redis (alpine): fix ownership as root, then `su-exec redis` drops privileges.
set -e
if [ "$(id -u)" = '0' ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec su-exec redis "$0" "$@"
fi
exec "$@"
