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
                  pids: 256
        """
    )


def test_fix_follows_service_level_keys() -> None:
    before = "services:\n  a:\n    image: x\n    mem_limit: 1g\n"
    assert fixed(before, CODE) == "services:\n  a:\n    image: x\n    mem_limit: 1g\n    cpus: \"1.0\"\n    pids_limit: 256\n"


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
                  pids: 256
          b:
            image: x
            deploy:
              resources:
                limits:
                  memory: 1G
                  cpus: "1.0"
                  pids: 256
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
