from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF610"


def test_database_ports_on_all_interfaces_fire() -> None:
    text = """
    services:
      db:
        image: postgres:17
        ports:
          - "5432:5432"
          - 127.0.0.1:5433:5432
          - "0.0.0.0:5434:5432"
          - "[::]:5435:5432"
          - 5436
      cache:
        image: example/cache:1
        ports:
          - target: 6379
            published: 6379
          - target: 6379
            host_ip: 127.0.0.1
      web:
        image: nginx:1.27
        ports: ["80:80"]
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [5, 7, 8, 9, 13]
    assert "PostgreSQL" in ds[0].message and "Redis" in ds[-1].message


def test_fix_binds_to_loopback_keeping_quotes() -> None:
    before = """
    services:
      db:
        image: postgres:17
        ports:
          - "5432:5432"  # psql
          - '0.0.0.0:5433:5432'
          - 5434
          - ${PG_PORT:-5435}:5432
          - "[::]:5436:5432"
        expose: ["5432"]
      redis:
        image: redis:7
        ports: ["6379:6379"]
      mongo:
        image: mongo:7
        ports:
          - target: 27017
            published: 27017
          - {target: 27017, published: 27018, host_ip: 0.0.0.0}
    """
    assert fixed(before, CODE) == dedent(
        """
        services:
          db:
            image: postgres:17
            ports:
              - "127.0.0.1:5432:5432"  # psql
              - '127.0.0.1:5433:5432'
              - 127.0.0.1::5434
              - 127.0.0.1:${PG_PORT:-5435}:5432
              - "[::1]:5436:5432"
            expose: ["5432"]
          redis:
            image: redis:7
            ports: ["127.0.0.1:6379:6379"]
          mongo:
            image: mongo:7
            ports:
              - target: 27017
                published: 27017
                host_ip: 127.0.0.1
              - {target: 27017, published: 27018, host_ip: 127.0.0.1}
        """
    )


def test_bound_ports_and_other_services_pass() -> None:
    text = """
    services:
      db:
        image: mysql:8.4
        ports: ["127.0.0.1:3306:3306", "${BIND_IP}:3307:3306"]
      app:
        image: example/app:1
        ports: ["8080:8080"]
    """
    assert rows(text, CODE) == []
