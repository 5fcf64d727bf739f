#!/bin/sh
# Like docker-library postgres: fix the data directory as root, then drop to the service user.
set -e
if [ "$(id -u)" = '0' ]; then
    mkdir -p /var/lib/data
    chown -R postgres:postgres /var/lib/data
    exec gosu postgres "$0" "$@"
fi
exec "$@"
