from tests.compose.util import dedent, findings, fixed, rows

CODE = "HF612"


def test_detection_lists_what_is_missing() -> None:
    text = """
    services:
      a:
        image: x
      b:
        image: x
        mem_limit: 256m
        cpus: 0.5
        pids_limit: 100
      c:
        image: x
        deploy:
          resources:
            limits: {memory: 1G, cpus: "2", pids: 50}
      d:
        image: x
        mem_limit: 1g
    """
    ds = findings(text, CODE)
    assert [d.location.row for d in ds] == [2, 14]
    assert "memory, cpus, pids limits" in ds[0].message
    assert ds[1].message.endswith("no cpus, pids limits")


def test_fix_adds_deploy_limits() -> None:
    before = "services:\n  es:\n    image: elasticsearch:8.15.0\n"
    assert fixed(before, CODE) == dedent(
        """
        services:
          es:
            image: elasticsearch:8.15.0
            deploy:
              resources:
                limits:
                  memory: 2G
                  cpus: "1.0"
            pids_limit: 256
        """
    )


def test_fix_follows_service_level_keys() -> None:
    before = "services:\n  a:\n    image: x\n    mem_limit: 1g\n"
    assert (
        fixed(before, CODE)
        == 'services:\n  a:\n    image: x\n    mem_limit: 1g\n    cpus: "1.0"\n    pids_limit: 256\n'
    )


def test_fix_completes_existing_deploy_levels() -> None:
    before = """
    services:
      a:
        image: x
        deploy:
          replicas: 2
      b:
        image: x
        deploy:
          resources:
            limits:
              memory: 1G
    """
    assert fixed(before, CODE) == dedent(
        """
        services:
          a:
            image: x
            deploy:
              replicas: 2
              resources:
                limits:
                  memory: 512M
                  cpus: "1.0"
            pids_limit: 256
          b:
            image: x
            deploy:
              resources:
                limits:
                  memory: 1G
                  cpus: "1.0"
            pids_limit: 256
        """
    )


def test_limits_from_anchor_count() -> None:
    text = """
    x-limits: &limits
      deploy:
        resources:
          limits: {memory: 1G, cpus: "1", pids: 64}
    services:
      a:
        <<: *limits
        image: x
    """
    assert rows(text, CODE) == []


def test_pids_is_service_level_pids_limit() -> None:
    """docker-compose 1.29 rejects `deploy.resources.limits.pids`; both v1 and v2 take `pids_limit`."""
    after = fixed("services:\n  a:\n    image: x\n", CODE)
    assert "    pids_limit: 256\n" in after and "pids:" not in after


def test_memory_limit_never_below_a_configured_heap() -> None:
    text = """
    services:
      es:
        image: elasticsearch:8.15.0
        environment:
          ES_JAVA_OPTS: "-Xms4g -Xmx4g"
      api:
        image: example/api:1
        command: ["java", "-Xmx1536m", "-jar", "app.jar"]
      node:
        image: node:22
        environment:
          - NODE_OPTIONS=--max-old-space-size=2048
      cache:
        image: redis:7
        command: redis-server --maxmemory 2gb
      small:
        image: example/api:1
        environment:
          JAVA_OPTS: -Xmx128m
    """
    after = fixed(text, CODE)
    assert "memory: 6G" in after  # es: 4 GiB heap + half
    assert "memory: 2304M" in after  # api: 1536 MiB + half
    assert "memory: 3G" in after  # node: 2 GiB + half; cache: 2 GiB + half
    assert after.count("memory: 512M") == 1  # small: 128 MiB fits the default
    notes = [d.note or "" for d in findings(text, CODE)]
    assert "`-Xmx4g`" in notes[0] and "`--maxmemory 2gb`" in notes[3] and notes[4] == ""


def test_heap_from_a_variable_gets_no_memory_limit_and_says_why() -> None:
    text = "services:\n  a:\n    image: x\n    environment:\n      JAVA_OPTS: -Xmx${HEAP:-2g}\n"
    after = fixed(text, CODE)
    assert "memory" not in after and "pids_limit: 256" in after and 'cpus: "1.0"' in after
    d = findings(text, CODE)[0]
    assert "no memory limit added" in (d.note or "")
