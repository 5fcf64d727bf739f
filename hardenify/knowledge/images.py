"""What well-known images need to start, and what they read: facts for the compose rules (HF6xx).

`FAMILIES` records, per image family, the capabilities to add back after `cap_drop: [ALL]`, the
paths it writes outside its VOLUMEs, whether it starts as root and drops privileges itself, and
the uid it runs as, each with the upstream Dockerfile/entrypoint lines that say so. Every list errs on the side of "unknown": an image missing here only means a fix is marked
unsafe (or not offered) instead of safe. Keys are the image name without tag or digest as
`image_key` normalises it: `postgres` for Docker Hub official images (and their well-known
mirrors), `bitnami/postgresql` for other Docker Hub images, `registry/path` elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hardenify.imageref import ImageRef, try_parse_ref
from hardenify.knowledge import programs
from hardenify.knowledge.bases import (
    ALPINE_USERS,
    CHAINGUARD_USERS,
    DEBIAN_USERS,
    DISTROLESS_USERS,
    NONROOT_UID,
)

_MIRRORS = ("public.ecr.aws/docker/library/", "mirror.gcr.io/library/")


def image_key(ref: ImageRef) -> str:
    """`postgres`, `bitnami/postgresql`, `gcr.io/distroless/static-debian12`."""
    full = f"{ref.registry}/{ref.path}"
    if ref.registry == "docker.io":
        return ref.path[len("library/") :] if ref.path.startswith("library/") else ref.path
    for m in _MIRRORS:
        if full.startswith(m) and "/" not in full[len(m) :]:
            return full[len(m) :]
    return full


# ----------------------------------------------------------------------- databases and caches

_POSTGRES = (
    "postgres",
    "postgis/postgis",
    "timescale/timescaledb",
    "timescale/timescaledb-ha",
    "pgvector/pgvector",
    "supabase/postgres",
)
_REDIS = (
    "redis",
    "redis/redis-stack",
    "redis/redis-stack-server",
    "valkey/valkey",
    "eqalpha/keydb",
    "docker.dragonflydb.io/dragonflydb/dragonfly",
)

# image key → what it is (for messages)
DATABASES: dict[str, str] = {
    **dict.fromkeys(_POSTGRES, "PostgreSQL"),
    "bitnami/postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mysql/mysql-server": "MySQL",
    "container-registry.oracle.com/mysql/community-server": "MySQL",
    "bitnami/mysql": "MySQL",
    "percona": "MySQL (Percona)",
    "percona/percona-server": "MySQL (Percona)",
    "mariadb": "MariaDB",
    "bitnami/mariadb": "MariaDB",
    "mongo": "MongoDB",
    "mongodb/mongodb-community-server": "MongoDB",
    "bitnami/mongodb": "MongoDB",
    **dict.fromkeys(_REDIS, "Redis"),
    "bitnami/redis": "Redis",
    "bitnami/valkey": "Redis",
    "memcached": "Memcached",
    "bitnami/memcached": "Memcached",
    "elasticsearch": "Elasticsearch",
    "docker.elastic.co/elasticsearch/elasticsearch": "Elasticsearch",
    "bitnami/elasticsearch": "Elasticsearch",
    "opensearchproject/opensearch": "OpenSearch",
    "cassandra": "Cassandra",
    "bitnami/cassandra": "Cassandra",
    "scylladb/scylla": "ScyllaDB",
    "rabbitmq": "RabbitMQ",
    "bitnami/rabbitmq": "RabbitMQ",
    "couchdb": "CouchDB",
    "couchbase": "Couchbase",
    "neo4j": "Neo4j",
    "influxdb": "InfluxDB",
    "clickhouse/clickhouse-server": "ClickHouse",
    "yandex/clickhouse-server": "ClickHouse",
    "mcr.microsoft.com/mssql/server": "SQL Server",
    "mcr.microsoft.com/azure-sql-edge": "SQL Server",
    "gvenzl/oracle-xe": "Oracle Database",
    "gvenzl/oracle-free": "Oracle Database",
    "cockroachdb/cockroach": "CockroachDB",
    "rethinkdb": "RethinkDB",
    "arangodb": "ArangoDB",
    "quay.io/coreos/etcd": "etcd",
    "gcr.io/etcd-development/etcd": "etcd",
    "bitnami/etcd": "etcd",
    "zookeeper": "ZooKeeper",
    "bitnami/zookeeper": "ZooKeeper",
    "questdb/questdb": "QuestDB",
}

# Container ports that mean a database or cache whatever the image (9000 is too common to count).
DATABASE_PORTS: dict[int, str] = {
    5432: "PostgreSQL",
    3306: "MySQL",
    33060: "MySQL X protocol",
    27017: "MongoDB",
    27018: "MongoDB",
    27019: "MongoDB",
    6379: "Redis",
    6380: "Redis",
    11211: "Memcached",
    9200: "Elasticsearch",
    9300: "Elasticsearch transport",
    9042: "Cassandra",
    5672: "RabbitMQ (AMQP)",
    15672: "RabbitMQ management",
    5984: "CouchDB",
    7474: "Neo4j",
    7687: "Neo4j (Bolt)",
    8086: "InfluxDB",
    8123: "ClickHouse (HTTP)",
    1433: "SQL Server",
    1521: "Oracle Database",
    2379: "etcd",
    26257: "CockroachDB",
    28015: "RethinkDB",
    8529: "ArangoDB",
    2181: "ZooKeeper",
}


def database(key: str) -> str | None:
    return DATABASES.get(key)


# ------------------------------------------------------------------------- users and privileges

# Images whose Dockerfile ends with a non-root USER (so no `user:` is needed). With the name and
# tag rules of `nonroot_default`, the one list both HF101 (`base_info`) and HF609 judge by.
NONROOT_DEFAULT = frozenset(
    {
        "nginxinc/nginx-unprivileged",
        "memcached",
        "grafana/grafana",
        "grafana/grafana-oss",
        "grafana/grafana-enterprise",
        "grafana/loki",
        "grafana/tempo",
        "prom/prometheus",
        "prom/alertmanager",
        "prom/node-exporter",
        "prom/pushgateway",
        "quay.io/prometheus/prometheus",
        "quay.io/prometheus/alertmanager",
        "quay.io/prometheus/node-exporter",
        "jenkins/jenkins",
        "odoo",
        "jaegertracing/all-in-one",
        "otel/opentelemetry-collector",
        "otel/opentelemetry-collector-contrib",
        "docker.elastic.co/kibana/kibana",
        "docker.elastic.co/logstash/logstash",
        "kibana",
        "logstash",
        "sonarqube",
        "quay.io/keycloak/keycloak",
        "mcr.microsoft.com/mssql/server",
        "nodered/node-red",
        "n8nio/n8n",
        "solr",
    }
)

# Official images whose entrypoint starts as root only to fix volume ownership and then
# switches to a service user itself (gosu/su-exec): the server does not run as root.
DROPS_PRIVILEGES = frozenset(
    {
        *_POSTGRES,
        "mysql",
        "mariadb",
        "percona",
        "mongo",
        "redis",
        "valkey/valkey",
        "rabbitmq",
        "cassandra",
        "couchdb",
        "ghost",
        "neo4j",
        "zookeeper",
        "influxdb",
    }
)


def _nonroot_tag(key: str, tag: str) -> bool:
    if key.startswith("gcr.io/distroless/") and "nonroot" in tag:
        return True
    if key.startswith("mcr.microsoft.com/dotnet/") and ("chiseled" in tag or "distroless" in tag):
        return True
    return key.startswith("gitea/gitea") and "rootless" in tag


# Images that became non-root by default at a version: Elasticsearch sets `USER 1000:0` since
# 8.0; 7.x starts as root and its entrypoint drops to 1000:0 with `chroot --userspec`
# (elastic/elasticsearch, distribution/docker; its packaging tests: "The Docker image in 7.x
# runs as `root` ... in `8.0`, the image runs as `elasticsearch`").
NONROOT_SINCE: dict[str, tuple[int, ...]] = {
    "elasticsearch": (8,),
    "docker.elastic.co/elasticsearch/elasticsearch": (8,),
}
# Chainguard images run as `nonroot` (65532) but for the OS bases, which start as root
# (images.chainguard.dev: wolfi-base, chainguard-base).
_CHAINGUARD_ROOT = frozenset({"chainguard-base", "wolfi-base"})
_ELASTIC_UI = re.compile(r"docker\.elastic\.co/(?:kibana/kibana|logstash/logstash)(?:-oss)?$")
# Red Hat language/s2i images (ubi9/python-312, ubi8/nodejs-20...) run as 1001; the ubi bases do not.
_RH_LANGUAGE = re.compile(r"(?:registry\.access\.redhat\.com/|redhat/)ubi\d+/")
_RH_BASE = re.compile(r"/ubi\d*(?:-minimal|-micro|-init)?$")


def nonroot_default(key: str, tag: str, tag_known: bool = True) -> bool:
    """Does the image run as a non-root user when nothing sets one (no USER, no `user:`)?

    `key` is `image_key`'s; `tag_known` is False when the tag is a template placeholder."""
    if key in NONROOT_SINCE:
        since = NONROOT_SINCE[key]
        return tag_known and version_at_least(tag, since) and any(ch.isdigit() for ch in tag)
    if key in NONROOT_DEFAULT or _nonroot_tag(key, tag) or "nonroot" in tag:
        return True
    if "nginx-unprivileged" in key or key.startswith("gitpod/workspace-") or _ELASTIC_UI.match(key):
        return True
    if key.startswith("cgr.dev/"):
        path = key[len("cgr.dev/") :]
        return path.rsplit("/", 1)[-1] not in _CHAINGUARD_ROOT and not path.startswith("chainguard-private/")
    if _RH_LANGUAGE.match(key) and not _RH_BASE.search(key):
        return True
    return key.startswith("bitnami/") and key != "bitnami/minideb"


def drops_privileges(key: str, tag: str = "") -> bool:
    """Does the image start as root only to drop to a service user itself (the server does
    not run as root)? Elasticsearch before 8 does (see `NONROOT_SINCE`)."""
    if key in DROPS_PRIVILEGES:
        return True
    since = NONROOT_SINCE.get(key)
    return since is not None and bool(tag) and not nonroot_default(key, tag)


# Run as non-root and need no Linux capability at all (no setuid/setcap binaries, no
# privileged ports, no chown at start): `cap_drop: [ALL]` cannot break them.
CAPABILITY_FREE = frozenset(
    {
        "nginxinc/nginx-unprivileged",
        "memcached",
        "grafana/grafana",
        "grafana/grafana-oss",
        "grafana/grafana-enterprise",
        "grafana/loki",
        "grafana/tempo",
        "prom/prometheus",
        "prom/alertmanager",
        "prom/node-exporter",
        "prom/pushgateway",
        "quay.io/prometheus/prometheus",
        "quay.io/prometheus/alertmanager",
        "quay.io/prometheus/node-exporter",
        "jaegertracing/all-in-one",
        "otel/opentelemetry-collector",
        "otel/opentelemetry-collector-contrib",
        "docker.elastic.co/kibana/kibana",
        "quay.io/keycloak/keycloak",
        "cgr.dev/chainguard/static",
        "cgr.dev/chainguard/glibc-dynamic",
    }
)


def capability_free(key: str, tag: str) -> bool:
    """Is `cap_drop: [ALL]` known to be harmless for this image?"""
    if key in CAPABILITY_FREE or _nonroot_tag(key, tag):
        return True
    return key.startswith("bitnami/") and key != "bitnami/minideb"


# `no-new-privileges` only stops gaining privileges by exec'ing a setuid/setcap binary
# (sudo, su, ping with file caps). Root switching users with setuid() (gosu, su-exec,
# nginx/httpd workers) is unaffected, so these servers are known to work with it.
NNP_FRIENDLY = frozenset(
    {
        *DROPS_PRIVILEGES,
        "nginx",
        "httpd",
        "traefik",
        "caddy",
        "haproxy",
        "registry",
        "elasticsearch",
        "docker.elastic.co/elasticsearch/elasticsearch",
        "memcached",
    }
)


def nnp_safe(key: str, tag: str) -> bool:
    """Is `no-new-privileges:true` known to be harmless for this image?"""
    return capability_free(key, tag) or key in NNP_FRIENDLY


# ------------------------------------------------------------------- what an image needs to start

_DL = "https://github.com/docker-library"
# Root that chowns a volume to the service user and then switches to it (gosu, su, s6): chown
# (CHOWN), into and over files it does not own (DAC_OVERRIDE, FOWNER), then setuid/setgid.
ROOT_DROPPER_CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID")
# An Apache/nginx master: binds :80 as root, chowns its temp files, runs workers as another user.
WEB_MASTER_CAPS = ("CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID")


@dataclass(frozen=True)
class Family:
    """What one image family needs to start, read from its own Dockerfile and entrypoint.

    `cap_add` and `writable` are None where the sources do not settle it: a fix that needs the
    fact then declines instead of guessing."""

    name: str
    keys: tuple[str, ...]  # image keys (`image_key`); a key ending in "/" is a prefix
    cap_add: tuple[str, ...] | None  # to add back after `cap_drop: [ALL]`; () = none needed
    writable: tuple[str, ...] | None  # paths outside declared VOLUMEs it writes (tmpfs under read_only)
    root_start: bool  # starts as root and drops privileges itself
    uid: int | None  # the uid the server runs as
    source: str  # where upstream says so
    state: tuple[str, ...] = ()  # data it keeps outside declared VOLUMEs: needs a volume, not a tmpfs
    read_only_block: str | None = None  # why a read-only root filesystem cannot work
    variant: str = ""  # a tag word that selects this family among several for one key


FAMILIES: tuple[Family, ...] = (
    Family(
        "postgres",
        ("postgres", "postgis/postgis", "timescale/timescaledb", "pgvector/pgvector"),
        ROOT_DROPPER_CAPS,
        ("/tmp", "/var/run/postgresql"),
        True,
        999,
        f"{_DL}/postgres/blob/6edb0a8c4def40c371514b34aef9037ec82d9110/17/trixie/docker-entrypoint.sh "
        'L58-59 `find "$PGDATA" \\! -user postgres -exec chown postgres`, L41 `chmod 00700 "$PGDATA"`, '
        "L338 `exec gosu postgres`; Dockerfile L13 `useradd ... --uid=999` (alpine: 70), L182 "
        "/var/run/postgresql, L187 `VOLUME /var/lib/postgresql/data`",
    ),
    Family(
        "redis",
        ("redis",),
        ROOT_DROPPER_CAPS,
        ("/tmp",),
        True,
        999,
        f"{_DL}/redis/blob/e92049967d6baa9b4b3d6fd950553e6458e61f13/7.4-rc/debian/docker-entrypoint.sh "
        "L12 `find . \\! -user redis -exec chown redis`, L13 `exec gosu redis`; Dockerfile L12 "
        "`useradd -r -g redis -u 999 redis`, L143 `VOLUME /data`",
    ),
    Family(
        "mysql",
        ("mysql",),
        ROOT_DROPPER_CAPS,
        ("/tmp", "/var/run/mysqld"),
        True,
        999,
        f"{_DL}/mysql/blob/7f30fdb0738041fc5125e8218e393e0a891243e9/8.4/docker-entrypoint.sh L210 "
        "`find ... \\! -user mysql -exec chown`, L380 `exec gosu mysql`; Dockerfile.oracle L11 "
        "`useradd --uid 999`, L89-92 /var/run/mysqld (socket and lock files), L117 `VOLUME /var/lib/mysql`",
    ),
    Family(
        "mariadb",
        ("mariadb",),
        ROOT_DROPPER_CAPS,
        ("/tmp", "/run/mysqld"),
        True,
        None,
        "https://github.com/MariaDB/mariadb-docker/blob/1b6429ba3544e134715c15f8c56cc6f665f827c9/11.4/"
        'docker-entrypoint.sh L210 `find "$DATADIR" \\! -user mysql ... -exec chown mysql:`, L699 '
        "`exec gosu mysql`; Dockerfile L5 `useradd -r -g mysql mysql` (no fixed uid), L120-123 "
        "/run/mysqld (socket and lock files), L137 `VOLUME /var/lib/mysql`",
    ),
    Family(
        "mongo",
        ("mongo",),
        ROOT_DROPPER_CAPS,
        ("/tmp",),
        True,
        999,
        f"{_DL}/mongo/blob/2c69a57b939afb99266e8f97258adb178e9559e0/8.0/docker-entrypoint.sh L14 "
        "`find -L /data/configdb /data/db \\! -user mongodb -exec chown mongodb`, L22 `exec gosu mongodb`; "
        "Dockerfile L12 `useradd --uid 999`, L111 `VOLUME /data/db /data/configdb` (mongod's socket is in /tmp)",
    ),
    Family(
        "rabbitmq",
        ("rabbitmq",),
        ROOT_DROPPER_CAPS,
        None,
        True,
        999,
        f"{_DL}/rabbitmq/blob/9193c1de6d32046e0c1132841a7a4995b0dc32e0/4.1/ubuntu/docker-entrypoint.sh L7 "
        "`find /var/lib/rabbitmq \\! -user rabbitmq -exec chown rabbitmq`, L10 `exec gosu rabbitmq`; "
        "Dockerfile L229 `useradd --uid 999`, L231 /etc/rabbitmq and /var/log/rabbitmq owned by rabbitmq "
        "(written at run time: not settled), L310 `VOLUME $RABBITMQ_DATA_DIR`",
    ),
    Family(
        "nginx",
        ("nginx",),
        WEB_MASTER_CAPS,
        ("/tmp", "/var/cache/nginx", "/var/run"),
        True,
        101,
        "https://github.com/nginxinc/docker-nginx/blob/b430becb8f0f6b8d69e68cc73a82ea2873c38639/mainline/"
        "debian/Dockerfile L19 `useradd --system ... --uid 101 nginx`, L141 `EXPOSE 80`; the nginx.org "
        "package's nginx.conf `user nginx;`, `pid /var/run/nginx.pid;` and its compiled-in "
        "`--http-client-body-temp-path=/var/cache/nginx/client_temp` (the master creates and chowns it)",
    ),
    Family(
        "nginx-unprivileged",
        ("nginxinc/nginx-unprivileged",),
        (),
        ("/tmp",),
        False,
        101,
        "https://github.com/nginxinc/docker-nginx-unprivileged Dockerfile `USER $UID` (101), pid and "
        "temp paths moved to /tmp, `EXPOSE 8080`",
    ),
    Family(
        "httpd",
        ("httpd",),
        WEB_MASTER_CAPS,
        ("/tmp", "/usr/local/apache2/logs"),
        True,
        33,
        f"{_DL}/httpd/blob/9b63b37c9be3b42d16b924ebb40af3cc40793119/2.4/Dockerfile L203-204 "
        "`User www-data`/`Group www-data` (workers), L200-201 logs to /proc/self/fd (httpd.pid stays in "
        "logs/), L233 `EXPOSE 80`",
    ),
    Family(
        "php-apache",
        ("php",),
        WEB_MASTER_CAPS,
        None,
        True,
        33,
        f"{_DL}/php/blob/445bf414f1d5866f7aef715f1203eae043710070/8.3/bookworm/apache/Dockerfile L60-78 "
        '`APACHE_RUN_USER=www-data`, run/lock dirs chowned to it, L294 `CMD ["apache2-foreground"]` '
        "(binds :80 as root)",
        variant="apache",
    ),
    Family(
        "php-fpm",
        ("php",),
        ("CHOWN", "SETGID", "SETUID"),
        None,
        True,
        33,
        f"{_DL}/php/blob/445bf414f1d5866f7aef715f1203eae043710070/8.3/bookworm/fpm/Dockerfile L258 "
        "`listen = 9000`; the pool's `user = www-data` (the master runs as root and switches workers)",
        variant="fpm",
    ),
    Family(
        "wordpress-fpm",
        ("wordpress",),
        ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"),
        None,
        True,
        33,
        f"{_DL}/wordpress/blob/bf223d1c2087b0b2c3b86eefa830fe4bbc2bce07/latest/php8.3/fpm/"
        'docker-entrypoint.sh `chown "$user:$group" .` and the copy into /var/www/html as www-data',
        variant="fpm",
    ),
    Family(
        "wordpress",
        ("wordpress",),
        tuple(sorted({*ROOT_DROPPER_CAPS, "NET_BIND_SERVICE"})),
        None,
        True,
        33,
        f"{_DL}/wordpress/blob/bf223d1c2087b0b2c3b86eefa830fe4bbc2bce07/latest/php8.3/apache/"
        'docker-entrypoint.sh L10-11 `user="${APACHE_RUN_USER:-www-data}"`, L31 `chown "$user:$group" .`; '
        'Dockerfile L168 `VOLUME /var/www/html`, L176 `CMD ["apache2-foreground"]` (binds :80)',
    ),
    Family(
        "nextcloud",
        ("nextcloud",),
        tuple(sorted({*ROOT_DROPPER_CAPS, "NET_BIND_SERVICE"})),
        None,
        True,
        33,
        "https://github.com/nextcloud/docker/blob/4de1eed65a44c61ecce601ef1d27abd2059b52e6/33/apache/"
        'entrypoint.sh L14-16 `run_as() { ... su -p "$user" ...`, L201 `rsync ... --chown $user:$group`; '
        'Dockerfile L135 `VOLUME /var/www/html`, L184 `CMD ["apache2-foreground"]`',
    ),
    Family(
        "linuxserver",
        ("lscr.io/linuxserver/", "linuxserver/", "ghcr.io/linuxserver/"),
        tuple(sorted({*ROOT_DROPPER_CAPS, "KILL"})),
        None,
        True,
        911,
        "https://github.com/linuxserver/docker-baseimage-alpine/blob/3d5a8b06a66bdf923dd537912cde796ccf915532/"
        'Dockerfile L88 `useradd -u 911 -U -d /config -s /bin/false abc`, L102 `ENTRYPOINT ["/init"]` '
        "(s6-overlay as root signals services running as abc: KILL); "
        'root/etc/s6-overlay/s6-rc.d/init-adduser/run L12 `usermod -o -u "${PUID}" abc`, L54-56 `lsiown abc:abc`',
        read_only_block='linuxserver images rewrite /etc/passwd at start (`usermod -o -u "${PUID}" abc`) '
        "and s6-overlay needs a writable /run",
    ),
    Family(
        "bitnami",
        ("bitnami/",),
        (),
        None,
        False,
        1001,
        "https://github.com/bitnami/containers/blob/078f764c97ede163b858650d6644d8840b9ffb1f/bitnami/"
        "postgresql/13/debian-12/Dockerfile `USER 1001`, `RUN find / -perm /6000 -type f -exec chmod a-s` "
        "(no setuid binaries); the apps write conf/tmp/logs under /opt/bitnami (per image: not settled)",
    ),
    Family(
        "grafana",
        ("grafana/grafana", "grafana/grafana-oss", "grafana/grafana-enterprise"),
        (),
        ("/tmp", "/var/log/grafana"),
        False,
        472,
        'https://github.com/grafana/grafana packaging/docker/Dockerfile `ARG GF_UID="472"` ... '
        '`USER "$GF_UID"`; `GF_PATHS_DATA=/var/lib/grafana` (sqlite, plugins) is no VOLUME',
        state=("/var/lib/grafana",),
    ),
    Family(
        "prometheus",
        ("prom/prometheus", "quay.io/prometheus/prometheus"),
        (),
        ("/tmp",),
        False,
        65534,
        "https://github.com/prometheus/prometheus/blob/d15adb9ad7e5d9fbde3a9a8f30200593a5a14d86/Dockerfile "
        'L24 `chown -R nobody:nobody /etc/prometheus /prometheus`, L26 `USER nobody`, L28 `VOLUME [ "/prometheus" ]`',
    ),
    Family(
        "memcached",
        ("memcached",),
        (),
        ("/tmp",),
        False,
        11211,
        f"{_DL}/memcached/blob/53ac0ecb0bf88b471a0110f8996ce791baf1a667/1/debian/Dockerfile L12 "
        "`useradd --system --gid memcache --uid 11211 memcache`, L98 `USER memcache` (keeps no files)",
    ),
)


def family(key: str | None, tag: str = "") -> Family | None:
    """The family an image belongs to; a family with a `variant` needs that word in the tag
    (`php:8.3-apache`), and a key with variants but none matching is unknown (`php:8.3-cli`)."""
    if not key:
        return None
    words = set(re.split(r"[-_.]", tag.lower()))
    plain = None
    for fam in FAMILIES:
        hit = any(key == k or (k.endswith("/") and key.startswith(k)) for k in fam.keys)
        if not hit or key == "bitnami/minideb":
            continue
        if fam.variant:
            if fam.variant in words:
                return fam
            continue
        plain = plain or fam
    return plain


def cap_add(key: str | None, tag: str) -> tuple[str, ...] | None:
    """Capabilities to add back after `cap_drop: [ALL]`: () none, None unknown."""
    fam = family(key, tag)
    if fam is not None:
        return fam.cap_add
    if key is not None and capability_free(key, tag):
        return ()
    return None


# ------------------------------------------------------------------------- read-only root fs


def writable_paths(key: str | None, tag: str = "") -> tuple[Family | None, str | None]:
    """The family whose writable paths are known, or None and why they are not."""
    fam = family(key, tag)
    if fam is None:
        return None, f"hardenify does not know which paths `{key}` writes" if key else "the image is unknown"
    if fam.read_only_block:
        return None, fam.read_only_block
    if fam.writable is None:
        return None, f"the paths {fam.name} images write outside their VOLUMEs are not settled upstream"
    return fam, None


# --------------------------------------------------------------------------------- secrets

_PG = ("POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS")
_MYSQL = ("MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "MYSQL_USER", "MYSQL_DATABASE", "MYSQL_ROOT_HOST")
_MARIADB = (
    "MARIADB_ROOT_PASSWORD",
    "MARIADB_PASSWORD",
    "MARIADB_USER",
    "MARIADB_DATABASE",
    "MARIADB_ROOT_PASSWORD_HASH",
    "MARIADB_PASSWORD_HASH",
    *_MYSQL[:4],
)
_WORDPRESS = tuple(
    f"WORDPRESS_{n}"
    for n in (
        "DB_PASSWORD",
        "DB_USER",
        "DB_NAME",
        "AUTH_KEY",
        "SECURE_AUTH_KEY",
        "LOGGED_IN_KEY",
        "NONCE_KEY",
        "AUTH_SALT",
        "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT",
        "NONCE_SALT",
    )
)
# Variables whose entrypoint also reads `<NAME>_FILE` (the docker-library `file_env` helper
# and the vendors' documented equivalents).
FILE_ENV: dict[str, frozenset[str]] = {
    **dict.fromkeys(_POSTGRES, frozenset(_PG)),
    "mysql": frozenset(_MYSQL),
    "mariadb": frozenset(_MARIADB),
    "mongo": frozenset({"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"}),
    "wordpress": frozenset(_WORDPRESS),
    "nextcloud": frozenset(
        {
            *_PG[:3],
            *_MYSQL[1:4],
            "NEXTCLOUD_ADMIN_USER",
            "NEXTCLOUD_ADMIN_PASSWORD",
            "REDIS_HOST_PASSWORD",
            "SMTP_PASSWORD",
        }
    ),
    "minio/minio": frozenset({"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}),
    "bitnami/postgresql": frozenset(
        {"POSTGRESQL_PASSWORD", "POSTGRESQL_POSTGRES_PASSWORD", "POSTGRESQL_REPLICATION_PASSWORD"}
    ),
    "bitnami/mysql": frozenset({"MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD", "MYSQL_REPLICATION_PASSWORD"}),
    "bitnami/mariadb": frozenset(
        {"MARIADB_ROOT_PASSWORD", "MARIADB_PASSWORD", "MARIADB_REPLICATION_PASSWORD"}
    ),
    "bitnami/redis": frozenset({"REDIS_PASSWORD"}),
    "bitnami/mongodb": frozenset({"MONGODB_ROOT_PASSWORD", "MONGODB_PASSWORD"}),
}
# Images that read `<NAME>__FILE` for every variable of their configuration prefix.
FILE_ENV_DOUBLE: dict[str, str] = {
    "grafana/grafana": "GF_",
    "grafana/grafana-oss": "GF_",
    "grafana/grafana-enterprise": "GF_",
    "gitea/gitea": "GITEA__",
}


def file_variant(key: str | None, var: str) -> str | None:
    """The variable that makes the image read `var` from a file, or None when it cannot."""
    if key is None:
        return None
    if var in FILE_ENV.get(key, frozenset()):
        return var + "_FILE"
    prefix = FILE_ENV_DOUBLE.get(key)
    if prefix is not None and var.startswith(prefix) and not var.endswith("__FILE"):
        return var + "__FILE"
    return None


# ----------------------------------------------------------------------------- health checks

# Images whose Dockerfile declares a HEALTHCHECK (compose inherits it).
DECLARES_HEALTHCHECK = frozenset(
    {
        "pihole/pihole",
        "vaultwarden/server",
        "jellyfin/jellyfin",
        "louislam/uptime-kuma",
        "nodered/node-red",
        "gotenberg/gotenberg",
        "ghcr.io/immich-app/immich-server",
    }
)


def healthcheck_probe(key: str | None, tag: str) -> tuple[str, ...] | None:
    """A probe that works in the image as shipped, for the unsafe HF613 fix; None if unknown."""
    if key is None:
        return None
    if key in _POSTGRES:
        return ("CMD-SHELL", "pg_isready -U $${POSTGRES_USER:-postgres}")
    if key == "redis":
        return ("CMD", "redis-cli", "ping")
    if key == "valkey/valkey":
        return ("CMD", "valkey-cli", "ping")
    if key == "mysql":
        return ("CMD", "mysqladmin", "ping", "-h", "127.0.0.1")
    if key == "rabbitmq":
        return ("CMD", "rabbitmq-diagnostics", "-q", "ping")
    if key == "mongo":
        m = re.match(r"(\d+)", tag)
        if tag == "latest" or (m and int(m.group(1)) >= 6):
            return ("CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping')")
    return None


# ----------------------------------------------------------------------------- resources

MEMORY_HUNGRY: dict[str, str] = {
    "elasticsearch": "2G",
    "docker.elastic.co/elasticsearch/elasticsearch": "2G",
    "opensearchproject/opensearch": "2G",
    "cassandra": "2G",
    "scylladb/scylla": "2G",
    "mcr.microsoft.com/mssql/server": "2G",
    "mcr.microsoft.com/azure-sql-edge": "2G",
    "clickhouse/clickhouse-server": "2G",
    "sonarqube": "2G",
    "neo4j": "1G",
    "docker.elastic.co/logstash/logstash": "1G",
    "docker.elastic.co/kibana/kibana": "1G",
    "quay.io/keycloak/keycloak": "1G",
    "jenkins/jenkins": "1G",
}


def memory_limit(key: str | None) -> str:
    """A starting memory limit: 512M, more for images known to need it (JVM/search/SQL Server)."""
    return MEMORY_HUNGRY.get(key or "", "512M")


# ------------------------------------------------------------------ base images (HF1xx/HF2xx)


@dataclass(frozen=True)
class Base:
    """What hardenify knows about a base image."""

    family: str  # debian | alpine | rhel | rhel-minimal | distroless | scratch | windows | unknown
    image: str = ""
    user: str | None = None  # "uid:gid" of a non-root user the image already ships
    user_name: str | None = None
    nonroot_default: bool = False  # the image already runs as a non-root user
    no_fix: str | None = None  # why adding a USER would break the image
    known_users: dict[str, str] = field(default_factory=dict)  # name → "uid:gid", certain


DISTRO_CODENAMES = (
    "bookworm",
    "bullseye",
    "buster",
    "stretch",
    "trixie",
    "sid",
    "jessie",
    "jammy",
    "focal",
    "noble",
    "bionic",
    "xenial",
    "trusty",
    "lunar",
    "mantic",
    "oracular",
    "plucky",
)
DEBIAN_CODENAMES = ("slim", *DISTRO_CODENAMES)
DEBIAN_NAMES = frozenset(
    {
        "debian",
        "ubuntu",
        "python",
        "golang",
        "ruby",
        "php",
        "rust",
        "perl",
        "buildpack-deps",
        "pypy",
        "elixir",
        "erlang",
        "haskell",
        "julia",
        "r-base",
        "gcc",
        "clojure",
        "swift",
        "eclipse-temurin",
        "maven",
        "gradle",
        "sapmachine",
        "ibm-semeru-runtimes",
        "groovy",
        "ros",
        "neurodebian",
        "node",
        "adoptopenjdk",
        "dart",
    }
)
RHEL_NAMES = frozenset({"fedora", "centos", "rockylinux", "almalinux", "oraclelinux"})
# Official images whose entrypoint starts as root to bind a privileged port, fix ownership of a
# data volume or drop privileges itself (gosu/su-exec): a USER line breaks them.
DAEMON_IMAGES = {
    "nginx": "nginx binds port 80 and writes /var/cache/nginx as root; use "
    "`nginxinc/nginx-unprivileged` (port 8080, user 101) instead",
    "httpd": "httpd binds port 80 as root and drops to `daemon` itself",
    "postgres": "the postgres entrypoint fixes data-directory ownership as root and drops to `postgres` "
    "with gosu",
    "mysql": "the mysql entrypoint drops to `mysql` with gosu after fixing ownership",
    "percona": "the percona entrypoint drops to `mysql` after fixing ownership",
    "mariadb": "the mariadb entrypoint drops to `mysql` with gosu after fixing ownership",
    "mongo": "the mongo entrypoint drops to `mongodb` with gosu after fixing ownership",
    "redis": "the redis entrypoint drops to `redis` with gosu after fixing ownership",
    "rabbitmq": "the rabbitmq entrypoint drops to `rabbitmq` with gosu",
    "elasticsearch": "the elasticsearch entrypoint manages its own user",
    "cassandra": "the cassandra entrypoint drops to `cassandra` with gosu",
    "couchdb": "the couchdb entrypoint drops to `couchdb` with gosu",
    "wordpress": "the wordpress image runs Apache, which binds port 80 as root",
    "drupal": "the drupal image runs Apache, which binds port 80 as root",
    "joomla": "the joomla image runs Apache, which binds port 80 as root",
    "nextcloud": "the nextcloud image runs Apache, which binds port 80 as root",
    "ghost": "the ghost entrypoint drops to `node` with gosu",
    "tomcat": "tomcat writes logs/, work/ and temp/ under CATALINA_HOME, owned by root",
    "docker": programs.DIND,
    "redmine": "the redmine entrypoint fixes ownership as root and drops to `redmine` with gosu",
}


def official_name(ref: ImageRef) -> str | None:
    """`python` for docker.io/library/python and well-known mirrors of it; else None."""
    if ref.registry == "docker.io" and ref.path.startswith("library/"):
        return ref.path[len("library/") :]
    full = f"{ref.registry}/{ref.path}"
    for m in _MIRRORS:
        if full.startswith(m):
            rest = full[len(m) :]
            return rest if "/" not in rest else None
    return None


def _major(tag: str) -> int | None:
    m = re.match(r"(\d+)", tag)
    return int(m.group(1)) if m else None


_TEMPLATE = re.compile(r"%%[^%]*%%|\$\{[^}]*\}|\$[A-Za-z_]\w*|\{\{[^}]*\}\}")


def _parse_loose(low: str) -> tuple[ImageRef, bool] | None:
    """Parse a reference whose tag (or digest) is a template placeholder or invalid.

    `debian:%%TAG%%`, `php:${PHP_VERSION}-apache`, `python:3.12@sha256:abc` still name a known
    repository; only the tag is unknown. Returns the reference and whether its tag is known.
    """
    # Placeholders may contain ':' (`${templateOption:imageVariant}`): mask them first.
    masked = _TEMPLATE.sub("\x00", low).split("@", 1)[0]
    name, tag = masked, ""
    if ":" in masked.rsplit("/", 1)[-1]:
        name, tag = masked.rsplit(":", 1)
    if not name or "\x00" in name or "%" in name or "$" in name:
        return None
    tag_known = bool(tag) and "\x00" not in tag and "%" not in tag and "$" not in tag
    ref = try_parse_ref(f"{name}:{tag}" if tag_known else name)
    if ref is None and tag_known:
        ref, tag_known = try_parse_ref(name), False
    return (ref, tag_known) if ref is not None else None


# Official images whose entrypoint drops from root to a service user that the image creates
# with fixed ids: name → (user, ids on Debian/Ubuntu/Oracle variants, ids on Alpine variants,
# the oldest version tag known to pin those ids). Older tags created the user without an id.
SERVICE_USERS: dict[str, tuple[str, str | None, str | None, tuple[int, ...]]] = {
    "postgres": ("postgres", "999:999", "70:70", (9,)),
    "redis": ("redis", "999:999", "999:1000", (5,)),
    "mongo": ("mongodb", "999:999", None, (4, 4)),
    "mysql": ("mysql", "999:999", None, (8,)),
    "mariadb": ("mysql", "999:999", None, (10, 4)),
    "percona": ("mysql", None, None, ()),
    "rabbitmq": ("rabbitmq", "999:999", "100:101", (3, 7)),
    "cassandra": ("cassandra", "999:999", None, (3,)),
    "elasticsearch": ("elasticsearch", None, None, ()),
    "ghost": ("node", "1000:1000", "1000:1000", ()),
    "redmine": ("redmine", None, None, ()),
}
# Registries/paths of the Dev Containers images: every variant runs its tools as a non-root
# user with uid/gid 1000 (`vscode`; `node` on the Node.js ones; `codespace` on universal).
_DEVCONTAINERS = re.compile(r"(?:mcr\.microsoft\.com|devcon\.azurecr\.io/public)/(?:vscode/)?devcontainers/")


def version_at_least(tag: str, minimum: tuple[int, ...]) -> bool:
    """Whether a tag names `minimum` or later; floating tags (`latest`, `alpine`) are current."""
    m = re.match(r"v?(\d+(?:\.\d+)*)", tag)
    if m is None:
        return not any(ch.isdigit() for ch in tag.split("-")[0])
    parts = tuple(int(x) for x in m.group(1).split("."))
    return parts[: len(minimum)] >= minimum


def base_info(image: str) -> Base:
    """Classify a (resolved) base image reference. Unknown is the safe default."""
    low = image.strip().lower()
    if low == "scratch":
        return Base("scratch", low)
    if not low:
        return Base("unknown", low)
    ref = try_parse_ref(low) if "$" not in low and "%" not in low else None
    tag_known = True
    if ref is None:
        loose = _parse_loose(low)
        if loose is None:
            return Base("unknown", low)
        ref, tag_known = loose
    tag = (ref.tag or "latest").lower() if tag_known else ""
    full = f"{ref.registry}/{ref.path}"
    off = official_name(ref)
    hub = ref.path if ref.registry == "docker.io" else None

    if any(k in tag for k in ("windowsservercore", "nanoserver", "ltsc")) or "windows" in full:
        return Base("windows", low)
    if full.startswith("cgr.dev/"):
        # Chainguard images ship `nonroot` (65532) and, but for the wolfi/chainguard bases,
        # run as it by default.
        return Base(
            "wolfi",
            low,
            user=NONROOT_UID,
            user_name="nonroot",
            nonroot_default=nonroot_default(full, tag),
            known_users=dict(CHAINGUARD_USERS),
        )
    # Already non-root by default: the one list (`nonroot_default`).
    if nonroot_default(off or hub or full, tag, tag_known):
        return Base("nonroot", low, nonroot_default=True)
    # Distroless: every variant ships nonroot (65532) and nobody (65534).
    if ref.registry == "gcr.io" and ref.path.startswith("distroless/"):
        return Base(
            "distroless", low, user=NONROOT_UID, user_name="nonroot", known_users=dict(DISTROLESS_USERS)
        )
    alpine_tag = "alpine" in tag
    if _DEVCONTAINERS.match(full):
        fam = "alpine" if alpine_tag else ("debian" if tag_known else "unknown")
        return Base(
            fam,
            low,
            user="1000:1000",
            user_name="the Dev Containers user",
            known_users=dict(ALPINE_USERS if alpine_tag else DEBIAN_USERS),
        )
    if off == "node":
        fam = "alpine" if alpine_tag else ("debian" if tag_known else "unknown")
        users = dict(ALPINE_USERS if alpine_tag else DEBIAN_USERS) if tag_known else {}
        if not version_at_least(tag, (4,)):
            # 0.x tags (node 0.8-0.12, io.js era) predate the image's `node` user.
            return Base(fam, low, known_users=users)
        users["node"] = "1000:1000"
        return Base(fam, low, user="1000:1000", user_name="node", known_users=users)
    if full.startswith("mcr.microsoft.com/dotnet/"):
        fam = "alpine" if alpine_tag else "debian"
        major = _major(tag)
        if major is not None and major >= 8:
            return Base(fam, low, user="1654:1654", user_name="app", known_users={"app": "1654:1654"})
        return Base(fam, low) if tag_known else Base("unknown", low)
    if full.startswith("mcr.microsoft.com/azure-functions/"):
        return Base("debian", low, known_users=dict(DEBIAN_USERS))  # every variant is Debian-based
    if hub is not None and hub.startswith("tiangolo/"):
        # tiangolo's images build on the official python images (Debian unless `-alpine`).
        if not tag_known:
            return Base("unknown", low)
        return (
            Base("alpine", low, known_users=dict(ALPINE_USERS))
            if alpine_tag
            else Base("debian", low, known_users=dict(DEBIAN_USERS))
        )
    if re.match(r"(?:ghcr\.io|lscr\.io|docker\.io)/linuxserver/", full):
        return Base(
            "unknown",
            low,
            no_fix="linuxserver.io images start s6-overlay as root and drop to `abc` "
            "themselves: set PUID/PGID instead of a USER",
        )
    if re.match(r"[a-z0-9-]+-docker\.pkg\.dev/cloud-workstations-images/", full):
        return Base(
            "unknown",
            low,
            no_fix="Cloud Workstations images must start as root (their entrypoint "
            "runs sshd and the IDE as `user`)",
        )
    if hub == "photoprism/photoprism":
        # PhotoPrism's images create users for uids 50-99, 500-600 and 900-1200 and document running
        # them as `user: "1000:1000"` once initialised.
        return Base("unknown", low, user="1000:1000", user_name="PhotoPrism's documented non-root user")
    if full == "docker.elastic.co/elasticsearch/elasticsearch":
        # Before 8 (`NONROOT_SINCE`): the image starts as root and its entrypoint drops to
        # 1000:0 itself, skipping the switch when it is not root, so `USER 1000:0` works.
        return Base(
            "unknown", low, user="1000:0", user_name="elasticsearch", known_users={"elasticsearch": "1000:0"}
        )
    if off is not None:
        return _official(off, low, tag, tag_known)
    if hub == "bitnami/minideb":
        return Base("debian", low, known_users=dict(DEBIAN_USERS))
    m = re.match(
        r"(?:registry\.access\.redhat\.com|docker\.io/redhat)/ubi\d+(?:/ubi)?(-minimal|-micro|-init)?$", full
    )
    if m:
        return Base("rhel-minimal" if m.group(1) in ("-minimal", "-micro") else "rhel", low)
    if full in ("quay.io/centos/centos", "docker.io/rockylinux/rockylinux", "quay.io/fedora/fedora"):
        return Base("rhel-minimal" if "minimal" in tag else "rhel", low)
    return Base("unknown", low)


def _docker_cli(tag: str) -> bool:
    """Whether a `docker` image tag is the CLI (client only): `-cli`/`-git`, or a bare version
    before 20.10, when the bare tags were the CLI and `-dind` the daemon."""
    words = set(re.split(r"[^a-z0-9.]+", tag))
    if "dind" in words or not tag:
        return False
    if words & {"cli", "git"}:
        return True
    m = re.match(r"(\d+)\.(\d+)", tag)
    return m is not None and (int(m.group(1)), int(m.group(2))) < (20, 10)


def _official(name: str, low: str, tag: str, tag_known: bool) -> Base:
    """`base_info` for Docker official images (`tag` is "" when it is a placeholder)."""
    alpine_tag = "alpine" in tag
    if name == "hello-world":
        return Base("scratch", low)  # one static binary on scratch
    if name == "docker" and _docker_cli(tag):
        return Base("alpine", low, known_users=dict(ALPINE_USERS))
    if name in DAEMON_IMAGES:
        users: dict[str, str] = {}
        service = SERVICE_USERS.get(name)
        if tag_known and service is not None and version_at_least(tag, service[3]):
            ids = service[2] if alpine_tag else service[1]
            if ids is not None:
                users[service[0]] = ids
        return Base("unknown", low, no_fix=DAEMON_IMAGES[name], known_users=users)
    if name == "php" and "apache" in tag:
        return Base(
            "debian",
            low,
            no_fix="the php Apache variant binds port 80 as root and drops to `www-data` itself",
            known_users=dict(DEBIAN_USERS),
        )
    if alpine_tag or name in ("alpine", "busybox"):
        return Base("alpine", low, known_users=dict(ALPINE_USERS))
    if name == "amazonlinux" or name == "amazoncorretto" or "al2" in tag:
        return Base("rhel-minimal", low)
    if "ubi" in tag:
        return Base("rhel-minimal" if "minimal" in tag or "micro" in tag else "rhel", low)
    if name in RHEL_NAMES:
        # oraclelinux `-slim` keeps shadow-utils (the mysql image runs useradd on it).
        return Base("rhel-minimal" if "minimal" in tag else "rhel", low)
    if name == "openjdk":
        if tag_known and (any(c in tag for c in DEBIAN_CODENAMES) or _major(tag) in (8, 11)):
            return Base("debian", low, known_users=dict(DEBIAN_USERS))
        return Base("unknown", low)  # openjdk:17+ defaults to Oracle Linux slim (no useradd)
    # debian, ubuntu and buildpack-deps have no Alpine variant: a placeholder tag is fine.
    if name in ("debian", "ubuntu", "buildpack-deps") or (
        tag_known and (name in DEBIAN_NAMES or any(c in tag for c in DEBIAN_CODENAMES))
    ):
        return Base("debian", low, known_users=dict(DEBIAN_USERS))
    return Base("unknown", low)


# The package manager a build runs proves the distribution family it runs on.
PACKAGE_MANAGER_FAMILY = {
    "apt-get": "debian",
    "apt": "debian",
    "apk": "alpine",
    "yum": "rhel",
    "dnf": "rhel",
    "microdnf": "rhel-minimal",
}


def tag_family(image: str) -> str | None:
    """The family a third-party image's tag names by convention (`-alpine`, `-bookworm`, `-ubuntu`)."""
    tag = image.lower().split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    words = set(re.split(r"[^a-z0-9]+", tag))
    if "alpine" in words:
        return "alpine"
    if words & {"debian", "ubuntu", *DISTRO_CODENAMES}:
        return "debian"
    return None


def official_name_tag(image: str) -> tuple[str | None, str]:
    """(`python`, `3.12-slim`) for an official image reference; the tag is "" when unknown."""
    low = image.strip().lower()
    ref = try_parse_ref(low) if "$" not in low and "%" not in low else None
    tag_known = True
    if ref is None:
        loose = _parse_loose(low) if low else None
        if loose is None:
            return None, ""
        ref, tag_known = loose
    return official_name(ref), (ref.tag or "latest").lower() if tag_known else ""


# ------------------------------------------- Debian/Ubuntu official images with bash (issue 13)
# HF411 and HF507 read them.

# Official images whose default and Debian/Ubuntu variants ship bash (Debian's bash is
# Essential, so even the -slim variants have it). Variants that are not Debian/Ubuntu are
# excluded by tag below.
DEBIAN_BASH_IMAGES = frozenset(
    {
        "debian",
        "ubuntu",
        "python",
        "node",
        "golang",
        "ruby",
        "php",
        "perl",
        "rust",
        "buildpack-deps",
        "gcc",
        "eclipse-temurin",
        "elixir",
        "erlang",
        "haskell",
        "nginx",
        "httpd",
        "postgres",
        "redis",
        "mariadb",
        "tomcat",
        "wordpress",
        "julia",
        "r-base",
    }
)
_NOT_DEBIAN_TAG = re.compile(
    r"alpine|busybox|distroless|windows|nanoserver|servercore|ltsc|musl|wolfi|chainguard|scratch|"
    r"ubi\d*|amazon|corretto|oracle|oraclelinux|centos|fedora|rocky|alma|suse|photon|cbl|azurelinux|"
    r"mariner|slim-?bullseye-?arm",
    re.I,
)


def parse_image(image: str) -> ImageRef | None:
    from hardenify.imageref import try_parse_ref

    if not image or "$" in image:
        return None
    return try_parse_ref(image)


def hub_official(image: str) -> tuple[str, str] | None:
    """(name, tag) of a Docker Hub official image (`python:3.12-slim` → ("python", "3.12-slim")).

    Only exact docker.io references (no mirrors, no placeholder tags): `official_name_tag` is the
    lenient reading the user rules use."""
    ref = parse_image(image)
    if ref is None or ref.registry != "docker.io" or not ref.path.startswith("library/"):
        return None
    return ref.name, ref.tag or "latest"


def is_debian_with_bash(image: str) -> bool:
    """A Docker Hub official image whose variant is Debian/Ubuntu based and ships bash."""
    off = hub_official(image)
    if off is None:
        return False
    name, tag = off
    return name in DEBIAN_BASH_IMAGES and not _NOT_DEBIAN_TAG.search(tag)


def is_scratch(image: str) -> bool:
    return image.strip().lower() == "scratch"
