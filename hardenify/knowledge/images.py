"""What hardenify knows about well-known images, for the compose rules (HF6xx).

Every list errs on the side of "unknown": an image missing here only means a fix is marked
unsafe (or not offered) instead of safe. Keys are the image name without tag or digest as
`image_key` normalises it: `postgres` for Docker Hub official images (and their well-known
mirrors), `bitnami/postgresql` for other Docker Hub images, `registry/path` elsewhere.
"""

from __future__ import annotations

import re

from hardenify.imageref import ImageRef

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

_POSTGRES = ("postgres", "postgis/postgis", "timescale/timescaledb", "timescale/timescaledb-ha",
             "pgvector/pgvector", "supabase/postgres")
_REDIS = ("redis", "redis/redis-stack", "redis/redis-stack-server", "valkey/valkey", "eqalpha/keydb",
          "docker.dragonflydb.io/dragonflydb/dragonfly")

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

# Images whose Dockerfile ends with a non-root USER (so no `user:` is needed).
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
        "docker.elastic.co/elasticsearch/elasticsearch",
        "docker.elastic.co/kibana/kibana",
        "docker.elastic.co/logstash/logstash",
        "elasticsearch",
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


def nonroot_default(key: str, tag: str) -> bool:
    """Does the image run as a non-root user when compose sets no `user:`?"""
    if key in NONROOT_DEFAULT or _nonroot_tag(key, tag):
        return True
    if key.startswith("cgr.dev/chainguard/"):
        return True
    return key.startswith("bitnami/") and key != "bitnami/minideb"


def drops_privileges(key: str) -> bool:
    return key in DROPS_PRIVILEGES


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


# ------------------------------------------------------------------------- read-only root fs

# Paths the image writes outside its declared VOLUMEs (those stay writable with read_only:
# Docker mounts an anonymous volume there), to mount as tmpfs. Unknown images get /tmp only.
WRITABLE_PATHS: dict[str, tuple[str, ...]] = {
    "nginx": ("/tmp", "/var/cache/nginx", "/var/run"),
    "nginxinc/nginx-unprivileged": ("/tmp",),
    **dict.fromkeys(_POSTGRES, ("/tmp", "/var/run/postgresql")),
    "redis": ("/tmp",),
    "valkey/valkey": ("/tmp",),
    "mysql": ("/tmp", "/var/run/mysqld"),
    "mariadb": ("/tmp", "/run/mysqld"),
    "mongo": ("/tmp",),
    "memcached": ("/tmp",),
    "httpd": ("/tmp", "/usr/local/apache2/logs"),
    "caddy": ("/tmp",),
    "grafana/grafana": ("/tmp",),
    "grafana/grafana-oss": ("/tmp",),
    "prom/prometheus": ("/tmp",),
}


def writable_paths(key: str | None) -> tuple[tuple[str, ...], bool]:
    """tmpfs paths for a read-only root filesystem, and whether the image is known."""
    if key is not None and key in WRITABLE_PATHS:
        return WRITABLE_PATHS[key], True
    return ("/tmp",), False


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
        "DB_PASSWORD", "DB_USER", "DB_NAME", "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
        "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT",
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
    "bitnami/mariadb": frozenset({"MARIADB_ROOT_PASSWORD", "MARIADB_PASSWORD", "MARIADB_REPLICATION_PASSWORD"}),
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
