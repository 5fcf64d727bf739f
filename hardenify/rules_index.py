"""Generated from the rule modules by scripts/sync_readme.py: do not edit (rerun it).

Every rule's metadata, so the CLI can select rules without importing their modules
(hardenify.rules.all_rules). A test checks it matches the modules."""

from typing import Any

RULES: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "hf001_parse_error",
        {
            "code": "HF001",
            "name": "parse-error",
            "severity": "error",
            "summary": "The Dockerfile has a syntax problem BuildKit rejects or misreads.",
            "what": "Reports unknown instructions, unterminated heredocs, a trailing line continuation, instructions "
            "before the first FROM, missing arguments and exec forms that are not valid JSON; whatever else "
            "BuildKit's own parser rejects (`ENV A=1 B`: \"can't find = in B\"), with its message; and what "
            "BuildKit's Dockerfile frontend refuses after parsing: unknown flags (`COPY --chmodx`), unknown "
            "mount types and keys (`RUN --mount=type=secrets`), network modes, HEALTHCHECK durations and "
            "retries that do not parse, EXPOSE protocols other than tcp/udp/sctp, and `FROM image AS` without "
            "a name.",
            "why": "BuildKit either refuses the file or silently runs something other than what was written (an "
            "invalid JSON exec form runs through a shell). hardenify reports the line instead of crashing.",
            "example": 'FORM python:3.12-slim\nCMD ["python", "app.py"',
            "fix": "Correct the syntax at the reported line.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL1000",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf101_root_user",
        {
            "code": "HF101",
            "name": "root-user",
            "severity": "error",
            "summary": "The final stage runs as root: no USER, or the last USER is root/0.",
            "what": "Checks the image that ships (the last stage, including the stages it builds on with `FROM "
            "<stage>`) for a USER instruction that selects a non-root user. Bases that already default to a "
            "non-root user pass: distroless `:nonroot`, nginx-unprivileged, Chainguard, Bitnami, .NET "
            "chiseled, Red Hat UBI language images, jenkins/jenkins, grafana, memcached, Kibana/Logstash, "
            "Elasticsearch 8+, Gitpod workspaces. Windows images (backtick escape, cmd/PowerShell SHELL or `# "
            "hadolint shell=powershell`, `C:` WORKDIRs, Chocolatey) are skipped.",
            "why": "A process running as root in the container is root against the host kernel: a container escape, a "
            "kernel bug or a writable host mount becomes host root. Kubernetes' `runAsNonRoot` and most "
            "admission policies reject such images. CIS Docker Benchmark 4.1.",
            "example": 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]',
            "fix": "Adds a `USER` after the last RUN/COPY/ADD/WORKDIR of the final stage (so the build itself is\n"
            "unchanged and application files stay root-owned, i.e. read-only to the app), before\n"
            "CMD/ENTRYPOINT. The user is one the image is known to contain, numeric whenever its ids are:\n"
            "\n"
            "- the last USER is root and an earlier USER set a non-root user: switch back to that user;\n"
            "- servers that bind port 80 and drop to a worker user themselves run as that user, with only\n"
            "  the paths they write chown'ed to it:\n"
            "  nginx (official image, or a file that builds it the same way) → `101:101` with\n"
            "  `touch /var/run/nginx.pid && chown -R 101:101 /var/cache/nginx /var/log/nginx\n"
            "  /var/run/nginx.pid` (images before 1.16 created `nginx` without a fixed id: `USER nginx`);\n"
            "  Debian/Ubuntu's nginx packages → `33:33` (www-data) with /var/lib/nginx, /var/log/nginx and\n"
            "  /run/nginx.pid; an nginx built into a prefix the file chowns to a user → that user;\n"
            "  Alpine's nginx package (`apk add nginx`) → `USER nginx` (its uid is not fixed\n"
            "  across Alpine versions) with `chown -R nginx:nginx /var/lib/nginx /var/log/nginx /run/nginx`;\n"
            "  httpd → www-data (`33:33`, Alpine `82:82`) with `chown -R` of its logs/;\n"
            "  php `-apache` (or a file that runs `apache2-foreground`) → `33:33` with\n"
            "  `chown 33:33 /var/run/apache2 /var/lock/apache2 /var/log/apache2`;\n"
            "- the Dockerfile creates a user (`useradd`/`adduser`): use it; ids it takes from build arguments\n"
            "  stay variables (`USER ${APP_UID}:${APP_GID}`, when the ARGs are declared in the final stage),\n"
            "  never their defaults, and never a root default (`${USER_ID:-0}`);\n"
            "- the base ships one: `node` → `1000:1000`, distroless and Chainguard → `65532:65532`,\n"
            "  .NET 8+ → `1654:1654`, Dev Containers images (`mcr.microsoft.com/devcontainers/*`) →\n"
            "  `1000:1000`, Elasticsearch < 8 → `1000:0`, PhotoPrism → `1000:1000`; a build that runs\n"
            "  jenkins/jenkins's tools (`jenkins-plugin-cli`) → `1000:1000`;\n"
            "- `scratch` (and hello-world): `USER 65532:65532` (numeric ids need no /etc/passwd);\n"
            "- otherwise create a system user, when the distribution family is known from the base image\n"
            "  table (Debian/Ubuntu and the official images built on them, RHEL/Fedora/Rocky/Alma/Oracle\n"
            "  Linux, Alpine, tiangolo/*, Azure Functions...), else from the package manager the build runs\n"
            "  (apt-get/apt → Debian, apk → Alpine, yum/dnf → RHEL, microdnf → minimal RHEL), else from the\n"
            "  tag (`-alpine`, `-bookworm`, `-ubuntu`...):\n"
            "  Debian/RHEL `groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app\n"
            "  --no-log-init --no-create-home --shell /usr/sbin/nologin app`, Alpine\n"
            "  `addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app`.\n"
            "\n"
            "Exposing a port below 1024 does not block the fix for those servers and for application\n"
            "runtimes (node, python, gunicorn, uvicorn, java, dotnet, ruby, traefik... or a program the build\n"
            "compiles with `go install`): since Docker 20.10 the engine sets\n"
            "`net.ipv4.ip_unprivileged_port_start=0` in containers, so a non-root process may bind port 80.\n"
            "Kubernetes does not by default: set that sysctl in the pod's securityContext, or move the\n"
            "service to a port of 1024 or above. Any other image that exposes such a port gets no fix.\n"
            "\n"
            "When only a user name is known (a user created without an explicit id, a service user of an\n"
            "old image tag), the fix writes `USER <name>`: that trades the root finding for hadolint's\n"
            "info-level DL3066 (and HF105), on purpose, because only that user is known to exist.\n"
            "\n"
            "A VOLUME the image declares gets a visible note: a bind mount there must be writable by the "
            "user.\n"
            "\n"
            'No fix is offered, and the message says "left for a human" and why, for:\n'
            "- images that start as root and switch user themselves: the ENTRYPOINT/CMD, the scripts they run\n"
            "  (read from the build context: regular files inside it only, at most 256 KiB each) or the\n"
            "  build's installs use gosu, su-exec, setpriv, chpst, s6-setuidgid, runuser, su, s6-overlay\n"
            "  (`/init`), supervisord, runit, systemd or sshd, and images built FROM official servers whose\n"
            "  entrypoint does (postgres, mysql, redis, mongo...), or run network tools needing root\n"
            "  (iptables, openvpn, pptp, kismet, wg-quick...): harden those in compose/Kubernetes\n"
            "  (`cap_drop`, `no-new-privileges`), not with USER;\n"
            "- base images: a final stage with ONBUILD triggers, or with no CMD/ENTRYPOINT of its own (nor\n"
            "  from the stages of the file it builds on) on an OS or language image, whose inherited CMD is a\n"
            "  shell or REPL: images built FROM it run `apt-get`/`pip install` as root after FROM. An\n"
            "  inherited CMD counts as an application only for known service images (nginx, httpd, php\n"
            "  Apache/FPM, the official servers, tiangolo's, images whose tools identify them);\n"
            "- unknown bases with nothing to infer a family from, minimal images without shadow-utils\n"
            "  (ubi-minimal, Amazon Linux) unless the file installs it, docker-in-docker, cron, bpftrace, and\n"
            "  images that install netfilter/virtualisation tools.\n"
            "\n"
            "A trailing `ONBUILD USER <non-root>` satisfies the rule.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the application then runs without root. It can no longer write to root-owned paths "
            "(only the paths named above are chown'ed: give it a writable directory or volume "
            "explicitly) or install packages at start-up. Ports below 1024 work under Docker 20.10+ "
            "only; on Kubernetes set `net.ipv4.ip_unprivileged_port_start=0` (a safe sysctl) or use a "
            "port of 1024 or above.",
            "references": {
                "hadolint": ("DL3002",),
                "trivy": ("DS002",),
                "checkov": ("CKV_DOCKER_3", "CKV_DOCKER_8"),
                "cis": ("4.1",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf102_sudo_usage",
        {
            "code": "HF102",
            "name": "sudo-usage",
            "severity": "error",
            "summary": "A RUN instruction calls `sudo`.",
            "what": "Reports `sudo` used as a command in RUN (shell form, exec form, `sh -c` strings, heredoc scripts "
            "and ONBUILD RUN). Installing the sudo package or mentioning the word is not reported.",
            "why": "RUN already executes as the current USER, and switching users is USER's job. `sudo` in a build "
            "either does nothing (the build runs as root) or works only because the image grants password-less "
            "sudo to a non-root user, which lets anything running as that user become root and defeats the "
            "point of the USER. sudo also behaves unpredictably without a TTY and forwards signals poorly (use "
            "`gosu`/`su-exec` when an entrypoint must drop privileges).",
            "example": "FROM ubuntu:24.04\nUSER app\nRUN sudo apt-get update",
            "fix": "Run the privileged steps before switching to the non-root user (or wrap them in `USER root` ... "
            "`USER app`) and drop `sudo`; remove password-less sudo rules from the image.\n"
            "\n"
            "There is no automatic fix: dropping `sudo` is only equivalent when the RUN already runs as root, "
            "and `sudo -u other` or sudo's environment handling cannot be reproduced by editing the line.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL3004",), "trivy": ("DS010",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf103_privileged_port",
        {
            "code": "HF103",
            "name": "privileged-port",
            "severity": "warning",
            "summary": "EXPOSE of a port below 1024 in an image that runs as a non-root user.",
            "what": "Reports each port (or range starting) below 1024 in the EXPOSE instructions of the image that "
            "ships (the final stage and the stages it builds on), when that image runs as a non-root user: an "
            "explicit non-root USER or a base known to default to one. Ports written with variables "
            "(`${PORT}`) are skipped. While the image still runs as root, HF101 reports that instead (and "
            "offers no fix while a privileged port is exposed); this rule fires once the image runs as a "
            "non-root user.",
            "why": "Binding a port below 1024 needs root or CAP_NET_BIND_SERVICE. Docker 20.10+ lowers "
            "`net.ipv4.ip_unprivileged_port_start` to 0 inside containers, but Kubernetes, Podman and older "
            "engines do not: the same image then fails at start-up with `permission denied`, or tempts "
            "operators to add NET_BIND_SERVICE or to run it as root again.",
            "example": "FROM nginxinc/nginx-unprivileged:1.27\nEXPOSE 80",
            "fix": "Listen on an unprivileged port (8080 instead of 80, 8443 instead of 443) in the application and "
            "in EXPOSE, and map the public port outside the container (`-p 80:8080`, a Kubernetes Service "
            "`port: 80` / `targetPort: 8080`).\n"
            "\n"
            "There is no automatic fix: the port the process listens on is set by the application's "
            "configuration, not by EXPOSE.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf104_world_writable_permissions",
        {
            "code": "HF104",
            "name": "world-writable-permissions",
            "severity": "warning",
            "summary": "A file or directory is made world-writable (`chmod 777`, `o+w`, `--chmod=777`).",
            "what": "Reports modes that give write permission to others: `chmod` (with or without `-R`), `mkdir -m` "
            "and `install -m` in RUN, and `COPY`/`ADD --chmod`. Numeric modes whose last digit has the write "
            "bit (777, 666, 0757...) and symbolic modes such as `a+w`, `o+rwx`, `a=rwx` are reported. Modes "
            "with the sticky bit (`1777`, `+t`, the /tmp pattern) and modes without an explicit `o`/`a` "
            "(`+w`, which the umask limits) are not.",
            "why": "A world-writable path can be changed by every user in the container, including a compromised "
            "low-privilege process: replacing a script or binary that root (or the app) later runs is a "
            "classic privilege escalation, and writable config or code lets an attacker persist. `chmod -R "
            "777` is usually a shortcut around an ownership problem.",
            "example": "FROM node:22-slim\nCOPY . /app\nRUN chmod -R 777 /app",
            "fix": "Give the runtime user ownership of only the paths it must write (`COPY --chown=10001:10001 ...`, "
            "`chown 10001:10001 /app/data`) and use 755/644 (or 775 with a shared group) elsewhere.\n"
            "\n"
            "There is no automatic fix: a narrower mode is only equivalent when nobody but the owner writes, "
            "and which user must write is not in the Dockerfile.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf105_non_numeric_user",
        {
            "code": "HF105",
            "name": "non-numeric-user",
            "severity": "style",
            "summary": "The image's USER is a user name instead of a numeric `UID[:GID]`.",
            "what": "Checks the USER that the shipped image ends up with (the last USER of the final stage or of the "
            "stages it builds on) and reports it when the user part is a name (`USER app`, `USER app:app`). "
            "Numeric users (`USER 10001`, `USER 10001:app`), root (see HF101), variables that do not resolve "
            "and Windows images are not reported.",
            "why": "Kubernetes `runAsNonRoot: true` can only verify a numeric UID: with `USER app` the kubelet "
            "refuses to start the pod (`image has non-numeric user (app), cannot verify user is non-root`) "
            "unless `runAsUser` is set. A name is also resolved through the image's /etc/passwd at run time, "
            "so policy tools and the host cannot see which UID the process really gets.",
            "example": "FROM node:22-slim\nUSER node",
            "fix": "Replaces the name with the numeric ids when they are certain:\n"
            "\n"
            "- users the Dockerfile creates with an explicit id (`useradd -u 10001 app` → `10001`, plus `:gid` "
            "when the group id is explicit too);\n"
            "- well-known users of official images: `node` on `node` → `1000:1000`, `nonroot` on distroless → "
            "`65532:65532`, `app` on .NET 8+ → `1654:1654`, `nobody` on Debian/Ubuntu/Alpine-based images → "
            "`65534:65534`, `www-data` on Debian-based images → `33:33`.\n"
            "\n"
            "Ids the build takes from a variable (`ARG APP_UID=1000` … `useradd -u $APP_UID app`) stay "
            "variables (`USER ${APP_UID}:${APP_GID}`, an unsafe fix: the ARG must be declared in the final "
            "stage); they are never replaced by the ARG's default, which `--build-arg` can change. Nothing is "
            "fixed when the file changes users (`usermod`, `groupmod`, writing /etc/passwd), the id is not "
            "written down, or a variable's default is root.",
            "fix_availability": "sometimes",
            "fix_safety": "Safe when the ids are literals in the file (unsafe when they come from build arguments and "
            "stay variables): the process gets the same UID, primary group and supplementary groups (a "
            "numeric UID is still looked up in /etc/passwd; a GID is only added when the user has no "
            "supplementary groups), so nothing changes at run time.",
            "references": {"hadolint": ("DL3066",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf106_user_group_drops_supplementary",
        {
            "code": "HF106",
            "name": "user-group-drops-supplementary",
            "severity": "warning",
            "summary": "`USER name:group` drops the supplementary groups the build gave the user.",
            "what": "Reports `USER <user>:<group>` (names or ids) when the same stage chain, before that line, adds "
            "the user to other groups: `usermod -aG`/`-G`, `useradd -G`/`--groups`, Debian's `adduser <user> "
            "<group>` and `--add-extra-groups`, busybox's `addgroup <user> <group>`, or `gpasswd -a`. A "
            "numeric uid is matched to the user a `useradd -u`/`adduser -u` created. Without such evidence a "
            "`USER name:group` is not reported (it is the usual, harmless form).",
            "why": "Docker's USER documentation: when a group is given, the user has only that group; every other "
            "group membership configured in the image is ignored. A user added to `docker`, `video`, `audio` "
            "or an application's shared group loses that access at run time only, so the image builds and then "
            'fails with permission errors, and the usual "fix" is to run as root.',
            "example": "FROM debian:bookworm-slim\nRUN useradd -u 10001 app && usermod -aG video app\nUSER app:app",
            "fix": "Removes `:<group>` when the group is the user's own primary group (the group named like the user "
            "that useradd/adduser create, or the gid given to `useradd -g`): the process then runs with the "
            "same primary group plus the supplementary ones. Declines (no fix) when the group differs from the "
            "primary one, since removing it would change the primary group.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the process gains the supplementary groups the build configured, which is the "
            "intent of adding them but widens what it can access.",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf201_latest_tag",
        {
            "code": "HF201",
            "name": "latest-tag",
            "severity": "warning",
            "summary": "An image is used without a tag or with `:latest` (and without a digest).",
            "what": "Reports `FROM`, `COPY --from=<image>` and `RUN --mount=...,from=<image>` references that have no "
            "tag (which means `:latest`) or the `latest` tag, unless a digest pins them. Stage names, stage "
            "indexes and `scratch` are not images. References built from ARGs are checked with the ARG "
            "defaults substituted (and reported on the ARG default when it is the whole reference); an ARG "
            "without a default is left to HF202.",
            "why": "`latest` is whatever was pushed last: a rebuild can silently jump a major version of the OS or "
            "runtime, break the build or the application, and nobody can tell which version an image was built "
            "from. It also defeats vulnerability tracking and rollbacks.",
            "example": "FROM python\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /etc/nginx/",
            "fix": "Pin a specific version tag (`python:3.12-slim`, `ubuntu:24.04`) and, ideally, its digest "
            "(`hardenify pin`, see HF202).\n"
            "\n"
            "There is no automatic fix: choosing the version is a human decision (the newest one may not be "
            "compatible with the application).",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {
                "hadolint": ("DL3006", "DL3007"),
                "trivy": ("DS001",),
                "checkov": ("CKV_DOCKER_7",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf202_unpinned_image",
        {
            "code": "HF202",
            "name": "unpinned-image",
            "severity": "warning",
            "summary": "An image is referenced by tag only, not pinned by digest (`@sha256:...`).",
            "what": "Reports every image the build pulls without a digest: `FROM`, `COPY --from=<image>` and `RUN "
            "--mount=...,from=<image>`. Stage names, stage indexes and `scratch` are not images. When the "
            "reference comes from an ARG (`FROM ${BASE}`), the finding is placed on the ARG's default, which "
            "is where the digest belongs; an ARG without a default is reported on the FROM as impossible to "
            "pin.",
            "why": "A tag is a movable pointer: the same Dockerfile builds on different bytes from one day to the "
            "next, a compromised or mistaken push to the tag flows straight into your image, and builds are "
            "not reproducible. A digest names exactly one image; an update bot (Renovate, Dependabot) then "
            "moves it deliberately, with a reviewable diff. OpenSSF Scorecard 'Pinned-Dependencies' and SLSA "
            "build-reproducibility expect it.",
            "example": "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv",
            "fix": "`hardenify pin` (or `hardenify fix --pin`) resolves each tag through the registry and writes "
            "`python:3.12-slim@sha256:<digest>`, keeping the tag for readability. `hardenify check` never "
            "contacts a registry, so the rule itself reports only.",
            "fix_availability": "sometimes",
            "fix_safety": "Pinning is safe: the digest is the image the tag points to when it is resolved. From then "
            "on the image only changes when the digest is updated.",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf203_untrusted_registry",
        {
            "code": "HF203",
            "name": "untrusted-registry",
            "severity": "warning",
            "summary": "An image is pulled from a registry outside the `trusted-registries` option.",
            "what": "When `[tool.hardenify.options] trusted-registries` is set, reports every `FROM`, `COPY "
            "--from=<image>`, `RUN --mount=...,from=<image>` and compose `image:` whose registry is not in "
            "the list. An entry is a registry host (`registry.corp.example`, `docker.io`), a host and path "
            "prefix (`ghcr.io/my-org`: matches `ghcr.io/my-org/app`, not `ghcr.io/my-org-evil`) or a glob "
            "(`*.corp.example`). Docker Hub is `docker.io` whatever alias is written (`index.docker.io`, "
            "`registry-1.docker.io`, no registry at all). Stage names, `scratch`, references whose ARG has no "
            "default, and compose services that `build:` their image are not pulls and are skipped. Without "
            "the option the rule reports nothing.",
            "why": "A base image runs with the build's and the container's privileges: whoever controls the registry "
            "controls the image. Organisations mirror and scan approved images in their own registry; a pull "
            "from elsewhere bypasses that scanning, the licence review and the availability guarantees (CIS "
            "Docker Benchmark 4.2, 'use trusted base images').",
            "example": '# [tool.hardenify.options] trusted-registries = ["registry.corp.example"]\n'
            "FROM python:3.12-slim\n"
            "COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/uv",
            "fix": "No automatic fix: move the image to a trusted registry (mirror it, or use the organisation's "
            "copy), then pin it (`hardenify pin --mirror docker.io=registry.corp.example/hub`).",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL3026",)},
            "kinds": ("dockerfile", "compose"),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf204_end_of_life_image",
        {
            "code": "HF204",
            "name": "end-of-life-image",
            "severity": "warning",
            "summary": "An image is built on a runtime or distribution release past its end of life.",
            "what": "Reads the release from the tag of `FROM`, `COPY --from` and `RUN --mount=from=` images (ARG "
            "defaults substituted) and of compose `image:` values: Python, Node.js, Go, Ruby, PHP and .NET "
            "from their official images' tags (`python:3.8-slim`, `node:16-alpine`, "
            "`mcr.microsoft.com/dotnet/aspnet:6.0`), Debian, Ubuntu and Alpine from their own images "
            "(`debian:buster-slim`, `ubuntu:18.04`, `alpine:3.14`) and from the distribution named in another "
            "image's tag (`python:3.12-slim-buster`, `golang:1.22-alpine3.16`). It reports a release whose "
            "end-of-life date, from the table in `hardenify/knowledge/eol.json` (with its source per "
            "product), is today or earlier. Tags without a version (`latest`, `lts`, `slim`) and releases the "
            "table does not know are not reported. No network access: the table is refreshed by "
            "`scripts/refresh_eol.py` and committed.",
            "why": "An end-of-life release gets no security fixes: every vulnerability found after that date stays in "
            "the image for good, and its official image is no longer rebuilt, so even the OS packages under it "
            "stop being patched. Scanners then report findings nobody can fix without moving to a supported "
            "release.",
            "example": "FROM python:3.8-slim\nFROM node:16-alpine AS web",
            "fix": "The message names the nearest release of the same line that is still supported (for Node.js the "
            "next even, LTS major; for Ubuntu the next LTS). The unsafe fix writes it into the tag, keeping "
            "the variant: `python:3.8-slim` → `python:3.10-slim`, `debian:buster-slim` → "
            "`debian:bookworm-slim`, `node:16-alpine` → `node:20-alpine`.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: a new release of a runtime or distribution can change how the application builds "
            "and behaves, so a reviewer must build and test it (`hardenify fix --prove` does the "
            "building). The fix declines, saying why, when the reference is pinned by digest (swap and "
            "re-pin by hand), comes from an ARG or a variable, or names a second release in its tag "
            "(`python:3.8-slim-buster`, `golang:1.15-alpine3.12`: which combination exists is a guess), "
            "and in compose files. It does not ask a registry whether the new tag exists; `fix --pin` "
            "or `hardenify pin` reports a tag that does not.",
            "references": {"cis": ("4.3",)},
            "kinds": ("dockerfile", "compose"),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf205_non_minimal_base",
        {
            "code": "HF205",
            "name": "non-minimal-base",
            "severity": "warning",
            "summary": "The shipped stage runs on a full image when a minimal variant of the same version exists.",
            "what": "Looks at the image the final stage is built on (through `FROM <stage>` chains, when no other "
            "stage builds on or copies from that root) and reports a full image whose minimal variant of the "
            "same version exists: `python:<v>` and `node:<v>` (built on buildpack-deps) → `-slim`; "
            "`debian:<release>` → `debian:<release>-slim`; a JDK (`eclipse-temurin:<v>[-jdk]`, `openjdk:<v>`) "
            "→ its JRE; a `golang` image as the runtime → a distroless image with the binary. Only images "
            "that run an application are reported (a CMD/ENTRYPOINT that is not just a shell or REPL: base "
            "and tool images pass). Builder stages, stages only copied from, "
            "`-slim`/`-alpine`/distroless/scratch images and Windows images pass. `ubuntu` is not reported: "
            "Ubuntu's official image is already the minimized cloud image and has no smaller tag of the same "
            "release. Multi-stage files are checked too (HF413 covers single-stage files that build in the "
            "shipped stage). When the file's other stages already use apk, the message mentions the `-alpine` "
            "variant as well (never fixed to it: musl changes binaries).",
            "why": "A full image ships compilers, headers, network and VCS tools (`python:3.12` is ~1 GB, "
            "`python:3.12-slim` ~130 MB): every one is attack surface the application never uses and a source "
            "of scanner findings nobody can fix by updating the application. Hardening guides (CIS Docker 4.3, "
            "NIST SP 800-190) start with a minimal base.",
            "example": "FROM python:3.12 AS build\n"
            "RUN pip wheel -w /wheels requests\n"
            "\n"
            "FROM python:3.12\n"
            "COPY --from=build /wheels /wheels\n"
            "COPY app.py /app/\n"
            'CMD ["python", "/app/app.py"]',
            "fix": "Swaps the tag to the minimal variant (`python:3.12` → `python:3.12-slim`, `node:22-bookworm` → "
            "`node:22-bookworm-slim`, `debian:12` → `debian:12-slim`, `eclipse-temurin:21-jdk` → "
            "`eclipse-temurin:21-jre`), keeping the registry and every other byte of the FROM line. It "
            "declines, saying why, when the stage (its RUNs, CMD, ENTRYPOINT and HEALTHCHECK) uses a program "
            "the minimal image lacks and does not install itself (curl, wget, git, gcc, make, ps... from the "
            "buildpack-deps layers; javac, jar, jcmd... for a JRE); when it builds packages that may compile "
            "native code (`pip install`, `npm ci`, `gem install`...: slim has no compiler or headers); when it "
            "copies files from a stage built on a full image that did such installs (they may link against "
            "libraries only the full image has, such as libpq); when the entrypoint or a RUN runs a script "
            "hardenify does not read; when a Debian slim stage installs a JRE/JDK package (Debian bug #863199: "
            "no /usr/share/man/man1); when the image comes from a build argument; and when the image is pinned "
            "by digest (a new tag with the old digest would still pull the full image: swap the tag by hand "
            "and re-pin with `hardenify pin`). `golang` runtimes and openjdk releases after 11 (no JRE tags) "
            "are reported without a fix. When the swap declines, split the build (HF413 does it for "
            "single-stage files) or install what the stage needs on the slim image.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the decision is made from what the Dockerfile shows. A program the application "
            "itself shells out to at run time (not named in the Dockerfile), or a library loaded with "
            "dlopen, may be missing from the minimal image: run the image's tests after the swap.",
            "references": {"cis": ("4.3",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf301_secret_in_arg_env",
        {
            "code": "HF301",
            "name": "secret-in-arg-env",
            "severity": "warning",
            "summary": "An ARG or ENV has a secret-looking name (TOKEN, PASSWORD, SECRET, API_KEY...).",
            "what": "Reports ARG and ENV declarations whose name looks like a credential, the way BuildKit's "
            "`SecretsUsedInArgOrEnv` check does: a name containing one of the tokens apikey, auth, "
            "credential(s), key, password, pword, passwd, secret or token as a whole `_`-separated (or "
            "camelCase) word, plus pass, pwd, psw and passphrase (`NPM_TOKEN`, `DB_PASS`, `githubToken`). "
            "Names are not secrets when they carry `public`, `file`, `version`, `gpg`/`pgp` or `fingerprint` "
            "anywhere (`GPG_KEY`, `SECRET_KEY_FILE`), or end in a word describing the secret rather than "
            "holding it: `_PATH`, `_DIR`, `_URL`, `_HOST`, `_PORT`, `_TYPE`, `_MODE`, `_ENABLED`, `_LENGTH`, "
            "`_SIZE`, `_NAME`, `_ID`, `_USER`, `_TTL`... (`AUTH_URL`, `PASSWORD_MIN_LENGTH`); "
            "`AWS_ACCESS_KEY_ID` and a few other well-known credential variables always count; durations and "
            "limits (`ACCESS_TOKEN_EXPIRE_MINUTES`, `TOKEN_TTL`) do not. A value that cannot be a credential "
            "is not reported: an empty ENV, a boolean, a number (except for a password), a path or file name "
            "(`NGROK_CA_KEY=assets/ngrok/root.key`), a URL without `user:pass@` or a `?token=`-like "
            "parameter, and a key id or fingerprint under a `key`/`auth` name. An ARG without a value is "
            "still reported.",
            "why": "Build arguments are recorded in the image history and provenance attestations (`docker history "
            "--no-trunc`), and ENV values are stored in the image configuration, visible to anyone who can "
            "pull the image (`docker inspect`) and to every process in the container. BuildKit secret mounts "
            "expose a secret to one RUN step only and never store it. CIS Docker Benchmark 4.10.",
            "example": "FROM node:22\n"
            "ARG NPM_TOKEN\n"
            "RUN npm config set //registry.npmjs.org/:_authToken=$NPM_TOKEN && npm ci",
            "fix": "Remove the ARG/ENV and mount the secret on each RUN that uses it (`$NAME`, `${NAME}`, the name "
            "itself, or a tool known to read it from the environment, such as npm/yarn/pnpm for NPM_TOKEN). "
            "With `# syntax=docker/dockerfile:1` (or 1.10+) the mount sets the variable directly: `RUN "
            "--mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci`. Without it the portable form reads the "
            'file: `RUN --mount=type=secret,id=npm_token NPM_TOKEN="$(cat /run/secrets/npm_token)" npm ci` (or '
            '`NAME="$(cat ...)" && export NAME && ...` when several commands use it; `mode=0444` is added when '
            "a non-root USER reads it). Existing `--mount` flags are kept. Unquoted `$NAME` references in "
            "those RUN steps are double-quoted: hadolint treats an ARG/ENV as a constant and stays quiet about "
            "them, but reports ShellCheck SC2086 once the value comes from a secret. Build with `docker build "
            "--secret id=npm_token,env=NPM_TOKEN .`; `hardenify fix` prints the flags.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the build then needs `--secret` instead of `--build-arg`, and a RUN step that "
            "reads the variable without naming it (a tool reading its environment) stops seeing it. "
            "There is no fix when the name is used outside RUN (COPY, LABEL, another ENV, CMD...), in "
            "an exec-form RUN, under a non-POSIX SHELL, on Windows images, when RUN steps see it but "
            "none names it, or when an ENV is not used by any RUN: then it is runtime configuration, "
            "and removing it would silently break the application; pass it when the container starts "
            "(`docker run --env-file`, compose `secrets:`). When an ENV in the final stage is moved "
            "into a secret mount, the fix message says it is no longer set at runtime.",
            "references": {
                "hadolint": ("DL3064",),
                "trivy": ("DS031",),
                "buildkit": ("SecretsUsedInArgOrEnv",),
                "cis": ("4.10",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf302_hardcoded_secret",
        {
            "code": "HF302",
            "name": "hardcoded-secret",
            "severity": "error",
            "summary": "A credential is written into the Dockerfile (token, private key, password, URL with a "
            "password).",
            "what": "Finds secret values anywhere in the file: known token formats (GitHub "
            "`ghp_`/`gho_`/`ghs_`/`github_pat_`, GitLab `glpat-`, Slack `xox?-` and webhooks, AWS access key "
            "ids `AKIA...` and secret keys next to an `aws_secret_access_key` name, Stripe `sk_live_`, Google "
            "`AIza`, npm `npm_`, PyPI, Docker Hub `dckr_pat_`, Hugging Face `hf_`, OpenAI, Anthropic, "
            "SendGrid, JWTs, private key blocks, passwords in URLs `scheme://user:pass@host`) in "
            "ARG/ENV/LABEL values, RUN lines, heredocs, other instructions and comments; and non-empty "
            "literal values of ARG/ENV names that look like secrets (see HF301), of `NAME=value` words in "
            "RUN, and of `--password`/`--token`-style options and `curl -u user:pass`. Every value found is "
            "redacted in all output. Obvious placeholders are not reported: empty values, pure `${VAR}` "
            "references, changeme/password/secret/none/true/false, values containing "
            "example/dummy/fake/placeholder, `xxx`, `<token>`, `{{ token }}`, `your-token-here`, short "
            "numbers, paths, and URLs without credentials. AWS's documented `...EXAMPLE` keys are ignored.",
            "why": "A secret in a Dockerfile is in the repository's history and in every image built from it, "
            "readable by anyone with the source or the image. It must be revoked, not just deleted. CIS Docker "
            "Benchmark 4.10.",
            "example": "FROM alpine:3.20\n"
            "ENV GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
            "RUN git clone https://oauth2:glpat-abcdefghij0123456789@gitlab.com/acme/app.git",
            "fix": "ARG/ENV with a secret used by RUN steps: moved into a build secret exactly as HF301 does. An "
            "ARG/ENV that nothing else references: the declaration is removed (supply the value at build or "
            "run time). A LABEL holding a token: the label is removed. A token or URL password inside a RUN "
            "command (not single-quoted, not in a heredoc): replaced by `${GITHUB_TOKEN}` from "
            "`--mount=type=secret,id=github_token,env=GITHUB_TOKEN` when the `# syntax=` frontend supports "
            "`env=`, else by `$(cat /run/secrets/github_token)`. Private keys, JWTs, AWS keys, comments and "
            "heredoc bodies are reported without a fix. Every finding carries a note to rotate the credential.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the build then needs the secret passed with `docker build --secret`, and a removed "
            "ENV is no longer set when the container runs. The fix removes the value from future builds "
            "only; the credential stays valid and exposed until it is rotated.",
            "references": {
                "trivy": (
                    "github-pat",
                    "github-oauth",
                    "github-fine-grained-pat",
                    "gitlab-pat",
                    "slack-access-token",
                    "slack-web-hook",
                    "aws-access-key-id",
                    "aws-secret-access-key",
                    "stripe-secret-token",
                    "npm-access-token",
                    "private-key",
                    "jwt-token",
                ),
                "checkov": (
                    "CKV_SECRET_2",
                    "CKV_SECRET_4",
                    "CKV_SECRET_9",
                    "CKV_SECRET_10",
                    "CKV_SECRET_12",
                    "CKV_SECRET_13",
                    "CKV_SECRET_14",
                    "CKV_SECRET_17",
                ),
                "cis": ("4.10",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": True,
            "default_enabled": True,
        },
    ),
    (
        "hf303_credential_file_copied",
        {
            "code": "HF303",
            "name": "credential-file-copied",
            "severity": "error",
            "summary": "COPY/ADD puts a credential file into the image (.npmrc, .netrc, id_rsa, *.key, .env...).",
            "what": "Reports COPY and ADD sources that are credential files: `.npmrc`, `.netrc`, `.pypirc`, "
            "`pip.conf`, Maven `settings.xml` (under `.m2` or a `maven` path), `.git-credentials`, "
            "`.docker/config.json`, `.aws/credentials` and the `.aws`/`.ssh` directories, SSH keys (`id_rsa`, "
            "`id_ed25519`, ...), private keys and keystores (`*.key`, `*.pem`, `*.p12`, `*.pfx`, `*.jks`) and "
            "`.env`/`.env.<name>` files. Names that say the file is public are skipped: certificates and CA "
            "bundles (`ca.pem`, `cert.pem`, `fullchain.pem`), signing keys (`repo.key`, `*.gpg.key`, "
            "`release.key`) and keys copied to a `.pub`/`.asc`/`.gpg` or apt keyring destination; so are "
            "`.env.example`/`.sample`/`.template`/`.dist`. A `*.pem` counts only when its name suggests a key "
            "(key, private, tls, server, ...). An `.npmrc` is read from the build context (a regular file "
            "inside it, at most 256 KiB): one with no credential in it (`engine-strict`, `shamefully-hoist`, "
            "a registry without auth, `_authToken=${NPM_TOKEN}`) is not reported; when it cannot be read it "
            "is reported by name, with a note saying so.",
            "why": "Every COPY creates a layer; a later `RUN rm` only hides the file in a newer layer, and anyone who "
            "can pull the image can extract it (`docker save`). Build-time credentials belong in a BuildKit "
            "secret mount, runtime ones in a runtime secret. CIS Docker Benchmark 4.10.",
            "example": "FROM node:22\n"
            "WORKDIR /app\n"
            "COPY package.json package-lock.json .npmrc ./\n"
            "RUN npm ci && rm -f .npmrc",
            "fix": "For the common shape only: the file is removed from the COPY (the whole COPY when it was the only "
            "source) and every later RUN that reads it (names it, or runs a tool that reads it: npm/yarn/pnpm "
            "for `.npmrc`, pip for `pip.conf`, mvn for `settings.xml`, git for `.git-credentials`, ...) gets "
            "`--mount=type=secret,id=npmrc,target=/app/.npmrc` at the same path (`mode=0444` when a non-root "
            "USER reads it). `rm` commands deleting the file are dropped: a secret mount leaves nothing "
            "behind, and deleting it would fail. Build with `docker build --secret id=npmrc,src=.npmrc .`.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the build then needs the file passed with `--secret`. No fix when the destination "
            "cannot be resolved statically (relative path without WORKDIR, variables, `~`), for `COPY "
            "--from`, directories, exec-form COPY with several sources, Windows images, when no later "
            "RUN reads the file, or for keys, `.env` and AWS credentials that nothing deletes after the "
            "build (the application may read them at runtime).",
            "references": {"trivy": ("DS031",), "cis": ("4.10",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf304_dockerignore_missing",
        {
            "code": "HF304",
            "name": "dockerignore-missing",
            "severity": "warning",
            "summary": "COPY/ADD of the whole build context without a .dockerignore that excludes secrets.",
            "what": "Reports `COPY . <dest>` and `ADD . <dest>` (also `./`, `*` and `/` as the source, shell or exec "
            "form, not `--from`) when the build context has no `.dockerignore` (nor a "
            "`<Dockerfile>.dockerignore`), or when it does not exclude `.git`, `.env`, `.env.*`, `.aws`, "
            "`.ssh`, `.npmrc`, `.netrc`, `.pypirc`, `.git-credentials`, `.docker/config.json`, `**/*.pem`, "
            "`**/*.key` and SSH keys. The message names what is missing. Paths a `!` exception re-includes on "
            "purpose are respected. Input read from stdin is skipped (its build context is unknown).",
            "why": "`COPY .` copies everything the context holds into a layer: the `.git` directory (history, remotes "
            "with tokens), local `.env` files, cloud credentials and private keys that happen to sit in the "
            "project directory. A `.dockerignore` keeps them out of the builder altogether.",
            "example": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]',
            "fix": "No fix in the Dockerfile. Create a `.dockerignore` (`hardenify fix` writes one for the detected "
            "stack) or add the missing entries (HF305 fixes an existing one). Copying only what the image "
            "needs (`COPY src/ ./src/`) avoids the problem too.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf305_dockerignore_incomplete",
        {
            "code": "HF305",
            "name": "dockerignore-incomplete",
            "severity": "warning",
            "summary": "The .dockerignore does not exclude .git, .env files, keys or credential files.",
            "what": "Checks a `.dockerignore` (with Docker's own matching: last match wins, `**`, `!` exceptions) for "
            "the security entries every build context should exclude: `.git`, `.env`, `.env.*`, `.aws`, "
            "`.ssh`, `.npmrc`, `.netrc`, `.pypirc`, `.git-credentials`, `.docker/config.json`, `**/*.pem`, "
            "`**/*.key`, `**/id_rsa*` and `**/id_ed25519*`. An entry counts as present when the file already "
            "excludes the paths it stands for, however it is written (`.env*`, `*` followed by `!src`). A "
            "path that a `!` exception re-includes on purpose (`!.env.production`) is respected and not "
            "reported. Build outputs and caches (`node_modules`, `dist/`, `target/`) are not security issues "
            "and are not reported.",
            "why": "Everything the `.dockerignore` lets through is sent to the builder and lands in the image with "
            "any `COPY .`: repository history, local environment files, cloud and registry credentials, "
            "private keys.",
            "example": "# .dockerignore\nnode_modules\n*.log",
            "fix": "Appends the missing entries at the end of the file under a `# added by hardenify` comment, in the "
            "file's own line endings and keeping its final-newline state. Entries go last because the last "
            "matching pattern wins; any existing `!` exception the new entries would override (`!.env.example` "
            "after `.env.*`, `!certs/ca.pem` after `**/*.pem`) is restated after them, so it keeps including "
            "what the user chose to include.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: excluding a path changes the build when a Dockerfile uses it: `COPY .npmrc`, `COPY "
            "certs/server.key`, or `git describe` on a copied `.git` would fail after the fix. A "
            "`.dockerignore` rule cannot see the Dockerfiles that use the context, so it cannot prove "
            "the excluded paths are unused; review the Dockerfile(s) (HF303 reports copied credential "
            "files).",
            "references": {},
            "kinds": ("dockerignore",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf401_apt_get_missing_yes",
        {
            "code": "HF401",
            "name": "apt-get-missing-yes",
            "severity": "warning",
            "summary": "`apt-get install` (or `apt install`) runs without `-y`.",
            "what": "Checks every `apt-get`/`apt` command that can ask for confirmation (`install`, `upgrade`, "
            "`dist-upgrade`, `full-upgrade`, `build-dep`, `remove`, `purge`, `autoremove`, `reinstall`, "
            "`satisfy`) in shell-form RUNs and `RUN <<EOF` scripts, after `&&`, `;`, `|`, `sudo`, env "
            "prefixes and line continuations. `-y`, `--yes`, `--assume-yes`, `-qq`/`-q=2` (quiet level 2 "
            "implies yes), `-o APT::Get::Assume-Yes=true`, simulation flags, `yes |` in front, or an earlier "
            "RUN that writes `APT::Get::Assume-Yes` into apt's config all count as answered. `apt` (the "
            "interactive front end) is reported by this rule too, with a hint to prefer `apt-get`. Windows "
            "images are skipped.",
            "why": "A build has no terminal: when apt needs to install more than the named packages it asks `Do you "
            "want to continue? [Y/n]`, reads end-of-file and aborts. The build then breaks the day a "
            "dependency changes, not the day the line was written.",
            "example": "FROM debian:12-slim\nRUN apt-get update && apt-get install curl",
            "fix": "Insert ` -y` right after the subcommand: `apt-get install -y curl`.",
            "fix_availability": "safe",
            "fix_safety": "Safe: `-y` only answers the prompt a non-interactive build cannot answer. It does not "
            "allow downgrades, held-package changes or essential-package removal (those need "
            "`--allow-*`).",
            "references": {"hadolint": ("DL3014",), "trivy": ("DS021",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf402_apt_get_install_recommends",
        {
            "code": "HF402",
            "name": "apt-get-install-recommends",
            "severity": "warning",
            "summary": "`apt-get install` also installs every recommended package.",
            "what": "Checks `apt-get install` and `apt install` in shell-form RUNs and `RUN <<EOF` scripts for "
            "`--no-install-recommends`. An explicit choice passes: `--install-recommends`, `-o "
            "APT::Install-Recommends=...`, or an earlier RUN in the stage (or a stage it is built FROM) that "
            'writes `APT::Install-Recommends "false"` into apt\'s config. Windows images are skipped.',
            "why": "Recommended packages are not dependencies: apt pulls them in by default, so a one-package install "
            "can add hundreds of megabytes and dozens of packages nobody asked for — each one more attack "
            "surface and more CVEs for the scanner to report (CIS Docker Benchmark 4.3: do not install "
            "unnecessary packages).",
            "example": "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl",
            "fix": "Insert ` --no-install-recommends` after the subcommand (after `-y` when it directly follows): "
            "`apt-get install -y --no-install-recommends curl`. `ca-certificates` is only recommended (by "
            "curl, wget, git...), so when the stage, or a stage built FROM it, later downloads over TLS (`curl "
            "https://…`, `git clone https://…`, an `https` apt source, a `$URL` given to curl/wget/git) and no "
            "RUN of the stage installs `ca-certificates` explicitly, the fix names it: `apt-get install -y "
            "--no-install-recommends ca-certificates curl`.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: software sometimes relies on a package that is only recommended (`gnupg` helpers, "
            "locales, `ca-certificates` for a download the fix cannot see, such as one inside a "
            "script). Rebuild and test the image, and name such packages explicitly.",
            "references": {"hadolint": ("DL3015",), "trivy": ("DS029",), "cis": ("4.3",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf403_apt_lists_not_removed",
        {
            "code": "HF403",
            "name": "apt-lists-not-removed",
            "severity": "info",
            "summary": "A RUN runs `apt-get update` but does not `rm -rf /var/lib/apt/lists/*` afterwards.",
            "what": "Checks RUNs (shell form, `RUN <<EOF` scripts, ONBUILD RUN) that run `apt-get update` or `apt "
            "update` for a later `rm -rf /var/lib/apt/lists/...` (or `apt-get dist-clean`, or `find "
            "/var/lib/apt/lists ... -delete`) in the same RUN. Only stages whose layers ship are checked — "
            "the final stage and the stages it is built FROM — as hadolint does; a builder stage that is only "
            "a `COPY --from` source is skipped. A `--mount=type=cache` or `type=tmpfs` on /var/lib/apt or "
            "/var/lib/apt/lists keeps the lists out of the layer and passes. Windows images are skipped.",
            "why": "`apt-get update` downloads tens of megabytes of package indexes. Left in the layer they bloat "
            "every pull and go stale at once; a file deleted in a later RUN still ships in the earlier layer, "
            "so the cleanup has to happen in the same RUN.",
            "example": "FROM debian:12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
            "fix": "Append `rm -rf /var/lib/apt/lists/*` at the end of the RUN: ` && rm -rf ...` on a one-line RUN, a "
            "new continuation line in the RUN's own style (leading `&&` or trailing `&& \\`, same indentation) "
            "on a multi-line RUN, ` && rm -rf ...` on the last command line of a heredoc script.",
            "fix_availability": "safe",
            "fix_safety": "Safe, and offered only when no later RUN in the stage (or in a stage built FROM it) reads "
            "the lists without running `apt-get update` first; otherwise the finding has no fix (see "
            "HF404 to merge the update into the install). hardenify cannot see inside scripts a later "
            "RUN calls: a script that runs `apt-get install` without updating would fail after the fix. "
            "No fix either when the RUN ends in a way that cannot take ` && cmd` (trailing operator, "
            "`&`, `exit`, a nested heredoc in a script).",
            "references": {"hadolint": ("DL3009",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf404_apt_get_update_alone",
        {
            "code": "HF404",
            "name": "apt-get-update-alone",
            "severity": "warning",
            "summary": "`apt-get update` runs in a RUN that installs nothing after it.",
            "what": "Checks RUNs (shell form, `RUN <<EOF` scripts, ONBUILD RUN) that run `apt-get update` or `apt "
            "update` with no install-like apt command (`install`, `upgrade`, `dist-upgrade`, `build-dep`, "
            '`source`, ...) after it in the same RUN — also inside `sh -c "..."`. A RUN that runs a script '
            "after the update (`bash /tmp/setup.sh`, `./install`, `curl ... | sh`) is not reported: the "
            "script may install. Windows images are skipped.",
            "why": "Docker caches each RUN. A lone `RUN apt-get update` layer is reused as long as its text is "
            "unchanged, so a later `RUN apt-get install ...` (changed or added months afterwards) installs "
            "from stale lists: outdated, vulnerable versions, or 404s for versions the mirror has dropped. "
            "Updating and installing in one RUN invalidates both together (CIS Docker Benchmark 4.7).",
            "example": "FROM debian:12-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
            "fix": "When the next RUN of the stage installs with apt, move the update into it (`RUN apt-get update && "
            "apt-get install ...`, or `set -e; apt-get update; ...` after a leading `set -e;`) and delete the "
            "lone RUN; when that RUN already updates, just delete the lone RUN. Only offered when the lone RUN "
            "is exactly one update command with no RUN flags, nothing but metadata/file instructions (no USER, "
            "SHELL) lies between the two, and the next RUN is a shell-form `&&`/`|` chain (or starts with `set "
            "-e;`), so a failing update still fails the build.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the update now runs after the instructions in between (a COPY of a sources.list, "
            "an ENV proxy) and the layer split changes, so cache behaviour and — rarely — the resolved "
            "package versions change.",
            "references": {"trivy": ("DS017",), "checkov": ("CKV_DOCKER_5",), "cis": ("4.7",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf405_apk_no_cache",
        {
            "code": "HF405",
            "name": "apk-no-cache",
            "severity": "info",
            "summary": "`apk add` runs without `--no-cache`.",
            "what": "Checks `apk add` in shell-form RUNs and `RUN <<EOF` scripts (after `&&`, `;`, `|`, `sudo`, env "
            "prefixes, continuations) for `--no-cache`. A `--mount=type=cache` or `type=tmpfs` on "
            "/var/cache/apk or /etc/apk/cache passes: the cache is then meant to be kept out of the layer. "
            "`apk add --no-network` (installs from what is already there, as the docker-library images do for "
            "their run-time `.rundeps`) downloads nothing and passes. Like hadolint, it still fires when the "
            "RUN also runs `apk update` or removes /var/cache/apk afterwards: `--no-cache` replaces both. "
            "Windows images are skipped.",
            "why": "Without `--no-cache`, apk stores the package index (`apk update`/`--update`) under /var/cache/apk "
            "and it ships in the layer: a few megabytes of stale metadata in every image.",
            "example": "FROM alpine:3.20\nRUN apk add --update curl",
            "fix": "Insert ` --no-cache` right after `add`: `apk add --no-cache --update curl`. An existing `apk "
            "update` or `rm -rf /var/cache/apk/*` is left in place (harmless; remove it by hand).",
            "fix_availability": "safe",
            "fix_safety": "Safe: `--no-cache` fetches the index to a temporary location and installs the same "
            "packages; it only keeps the index out of the image.",
            "references": {"hadolint": ("DL3019",), "trivy": ("DS025",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf406_pip_no_cache_dir",
        {
            "code": "HF406",
            "name": "pip-no-cache-dir",
            "severity": "warning",
            "summary": "`pip install` runs without `--no-cache-dir`.",
            "what": "Checks `pip install`, `pip3 install`, `pip3.12 install` and `python -m pip install` in "
            "shell-form RUNs and `RUN <<EOF` scripts for `--no-cache-dir`. It passes when `PIP_NO_CACHE_DIR` "
            "is set (any value: pip disables the cache for all of them) by ENV/ARG in the stage or a stage it "
            "is built FROM, or anywhere in the RUN; when an earlier RUN runs `pip config set "
            "global.no-cache-dir ...`; or when a `--mount=type=cache`/`type=tmpfs` targets a pip cache (a "
            "path containing `pip`, or a `.cache` directory). `pip install --upgrade pip` is checked too. "
            "`pipx`, `pipenv` and `uv pip` are not pip. Windows images are skipped.",
            "why": "pip keeps every downloaded wheel and HTTP response under ~/.cache/pip. In an image that cache is "
            "dead weight — often larger than the installed packages — and it ships in the layer.",
            "example": "FROM python:3.12-slim\nRUN pip install -r requirements.txt",
            "fix": "Insert ` --no-cache-dir` right after `install`: `pip install --no-cache-dir -r requirements.txt`.",
            "fix_availability": "safe",
            "fix_safety": "Safe: the same packages are installed; pip just does not write its cache.",
            "references": {"hadolint": ("DL3042",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf407_npm_install_not_ci",
        {
            "code": "HF407",
            "name": "npm-install-not-ci",
            "severity": "warning",
            "summary": "`npm install` where `npm ci` belongs, or devDependencies installed into the shipped image.",
            "what": "Two checks on npm in shell-form RUNs and `RUN <<EOF` scripts (Windows images are skipped):\n"
            "\n"
            "1. `npm install` (or `npm i`, `npm add`...) with no package names and not global (`-g`) — "
            "installing the project's dependencies — is reported: use `npm ci`. `--no-package-lock` and "
            "`--package-lock-only` (a deliberate choice) pass.\n"
            "2. `npm ci` / project-wide `npm install` in the final stage of a multi-stage build, or in a "
            "single-stage image that runs no build script afterwards, without `--omit=dev`, `--production` or "
            "`--only=prod`, is reported. `NODE_ENV=production` (ENV/ARG in the stage lineage, or in the RUN), "
            "`npm_config_production`/`npm_config_omit=dev`, and a later `npm prune --omit=dev|--production` "
            "pass. A single-stage image that runs `npm run ...`, `npx`, `yarn`... afterwards needs its "
            "devDependencies to build and is not reported. `ONBUILD RUN` gets only the first check (the "
            "downstream build decides what ships).",
            "why": "`npm install` resolves version ranges at build time and may rewrite the lockfile, so two builds "
            "of one commit can ship different code — a supply-chain risk; `npm ci` installs exactly what "
            "package-lock.json pins and fails if it is out of date. devDependencies (test runners, bundlers, "
            "type checkers) are not needed at runtime: shipped, they add size and CVEs (CIS Docker Benchmark "
            "4.3).",
            "example": "FROM node:22-slim\n"
            "WORKDIR /app\n"
            "COPY package*.json ./\n"
            "RUN npm install\n"
            "COPY . .\n"
            'CMD ["node", "server.js"]',
            "fix": "1. Replace `install` with `ci` — only when a package-lock.json/npm-shrinkwrap.json exists in the "
            "build context on disk and a COPY (or bind mount) before the RUN brings it in; without a context "
            "on disk, not when the stage visibly copies package.json without a lockfile or only "
            "yarn.lock/pnpm-lock.yaml. Never on `node:<10` (no `npm ci`).\n"
            "2. Insert ` --omit=dev` after the subcommand (` --production` on `node:<15` bases, whose npm 6 "
            "ignores `--omit`) — only when no later step of the stage needs devDependencies (`npm run`, `npx`, "
            "`yarn`..., a dev tool such as `tsc`/`webpack`/`prisma` or one named in package.json's "
            "devDependencies), package.json has no install lifecycle script (`prepare`, `postinstall`...), and "
            "CMD does not run an npm script that starts a devDependency.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe. `npm ci` fails without a package-lock.json (or npm-shrinkwrap.json) in sync with "
            "package.json, and deletes an existing node_modules first. `--omit=dev` breaks the image "
            "when a devDependency is used at runtime or by an install script (a `postinstall`/`prepare` "
            "build, `ts-node`, `nodemon` in CMD).",
            "references": {"cis": ("4.3",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf408_package_cache_not_cleaned",
        {
            "code": "HF408",
            "name": "package-cache-not-cleaned",
            "severity": "warning",
            "summary": "An rpm-family or zypper install leaves its package cache in the layer (or lacks `-y`).",
            "what": "Checks `yum`, `dnf`, `microdnf`, `tdnf` and `zypper` in shell-form RUNs and `RUN <<EOF` scripts "
            "(Windows images are skipped). Two findings:\n"
            "\n"
            "1. An install-like command (`install`, `groupinstall`, `localinstall`, `reinstall`, `update`, "
            "`upgrade`; zypper `install`/`in`, `update`, `patch`, `dist-upgrade`, `source-install`) with no "
            "clean after it in the same RUN: `<pm> clean all` (yum and dnf count for each other), `zypper "
            "clean`/`zypper cc`, or `rm -rf /var/cache/{yum,dnf,libdnf5,tdnf,zypp}...`. A "
            "`--mount=type=cache`/`type=tmpfs` on the cache directory passes.\n"
            "2. `yum`/`dnf`/`microdnf`/`tdnf` install, update or remove without `-y`/`--assumeyes` (zypper: "
            "without `-y`/`--no-confirm`/`-n`/`--non-interactive`). An earlier RUN that writes `assumeyes=1` "
            "into the yum/dnf config passes. Folded into this rule because it concerns the same commands "
            "(hadolint splits it into DL3030/DL3038/DL3034); the fix is independent.",
            "why": "yum, dnf and zypper keep downloaded packages and repository metadata under /var/cache; left there "
            "they add tens to hundreds of megabytes to the layer, and a clean in a later RUN does not shrink "
            "the earlier layer. Without `-y` the build aborts at the `Is this ok [y/N]` prompt (microdnf too "
            "since RHEL/UBI 9, where it no longer assumes yes).",
            "example": "FROM rockylinux:9\nRUN dnf install -y httpd",
            "fix": "1. Append ` && <pm> clean all` (`zypper clean --all`) at the end of the RUN, with `sudo` when the "
            "install used it; on a multi-line RUN as a new continuation line in the RUN's style.\n"
            "2. Insert ` -y` right after the subcommand.",
            "fix_availability": "sometimes",
            "fix_safety": "Safe: the clean runs after everything else in the RUN, so it cannot affect what was "
            "installed, and `&&` keeps a failing install failing; `-y` only answers the prompt a build "
            "cannot answer. Exception: `-y` for `microdnf` is unsafe, because microdnf before 3.6 "
            "(UBI/RHEL 8.0–8.3) rejects the option. No clean fix when the RUN ends in a way that cannot "
            "take ` && cmd` (trailing operator, `&`, `exit`).",
            "references": {
                "hadolint": ("DL3032", "DL3040", "DL3036", "DL3030", "DL3038", "DL3034"),
                "trivy": ("DS015", "DS019", "DS020", "DS027"),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf409_curl_pipe_shell",
        {
            "code": "HF409",
            "name": "curl-pipe-shell",
            "severity": "warning",
            "summary": "A RUN pipes a downloaded script into a shell or interpreter without verifying it.",
            "what": "Reports `curl … | sh`, `wget -O- … | bash`, `… | sudo python3 -`, `bash <(curl …)`, `sh -c "
            '"$(curl …)"`, `eval "$(wget -qO- …)"` and PowerShell\'s `iex (… DownloadString(…))` / `iwr … | '
            "iex` in RUN instructions (shell form, `sh -c` exec form, heredoc scripts and ONBUILD RUN). An "
            "interpreter that gets a script argument (`curl … | python3 -c 'import json…'`) only reads data "
            "and is not reported.",
            "why": "Whatever the server (or anyone able to tamper with the transfer, a compromised CDN or a hijacked "
            "domain) returns at build time runs as root in the build, and the result is baked into the image. "
            "Nothing pins what was executed, so two builds of the same Dockerfile can run different code, and "
            "a truncated download can run half a script.",
            "example": "FROM debian:bookworm-slim\nRUN curl -fsSL https://example.com/install.sh | sh",
            "fix": "Download to a file, verify a pinned checksum (or signature), then run it:\n"
            "\n"
            "```dockerfile\n"
            "ARG INSTALL_SHA256=<sha256 of the reviewed script>\n"
            "RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n"
            '    && echo "${INSTALL_SHA256}  /tmp/install.sh" | sha256sum -c - \\\n'
            "    && sh /tmp/install.sh && rm /tmp/install.sh\n"
            "```\n"
            "\n"
            "or use `ADD --checksum=sha256:… https://… /tmp/install.sh`. Prefer a distribution package or a "
            "pinned release artifact when one exists. No automatic fix: the checksum must come from a reviewed "
            "copy of the script.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("4.11",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf410_tls_verification_disabled",
        {
            "code": "HF410",
            "name": "tls-verification-disabled",
            "severity": "error",
            "summary": "The build turns off TLS certificate checks or package signature checks.",
            "what": "Reports, in RUN instructions (shell form, `sh -c`, heredoc scripts, ONBUILD) and in ENV/ARG:\n"
            "\n"
            "- `curl -k` / `--insecure`, `wget --no-check-certificate`;\n"
            "- `pip --trusted-host` (also `python -m pip`, `uv pip`, `uv --allow-insecure-host`), `pip config "
            "set global.trusted-host`, `PIP_TRUSTED_HOST`;\n"
            "- `npm|yarn|pnpm config set strict-ssl false`, `--strict-ssl=false`, `--no-strict-ssl`, yarn "
            "berry's `enableStrictSsl false`, `NPM_CONFIG_STRICT_SSL=false`;\n"
            "- `git config http.sslVerify false`, `git -c http.sslVerify=false`, `GIT_SSL_NO_VERIFY` (git "
            "disables verification whatever its value);\n"
            "- `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`;\n"
            "- `apk --allow-untrusted`, `apt-get`/`apt --allow-unauthenticated` or "
            "`--allow-insecure-repositories` (and their `-o APT::…`/`Acquire::…` spellings);\n"
            "- `deb [trusted=yes] …` source lines (in RUN or in heredocs).\n"
            "\n"
            "Local package sources are not reported: `[trusted=yes]` on a `file:`/`copy:` repository, `apk "
            "index --allow-untrusted` and `apk add --allow-untrusted` of local `.apk` files built earlier in "
            "the same build. RUN commands are not checked on Windows images (their shells are not POSIX); "
            "ENV/ARG are.",
            "why": "With certificate checks off, anyone on the network path of the build (a proxy, a poisoned DNS "
            "answer, a compromised mirror) can serve their own package or script, and it is installed into the "
            "image as root. Skipping package signature checks has the same effect for distribution packages. "
            "ENV settings also stay in the final image and switch verification off for the application at run "
            "time.",
            "example": "FROM node:22-bookworm-slim\n"
            "ENV NODE_TLS_REJECT_UNAUTHORIZED=0\n"
            "RUN npm config set strict-ssl false && npm ci\n"
            "RUN curl -fsSLk https://example.com/tool.tar.gz | tar -xz",
            "fix": "Remove the setting: the flag (`-fsSLk` → `-fsSL`, `--trusted-host pypi.org` and its value), the "
            "whole `npm config set strict-ssl false &&` / `git config … http.sslVerify false &&` segment (the "
            "whole RUN when it was the only command), the ENV/ARG pair (the instruction when it was the only "
            "pair), the `trusted=yes` option. When a private registry or proxy uses its own CA, install that "
            "CA instead (`COPY corp-ca.crt /usr/local/share/ca-certificates/` + `update-ca-certificates`, "
            "`NODE_EXTRA_CA_CERTS`, `PIP_CERT`, `git config http.sslCAInfo`).",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: a build that only worked because verification was off (a self-signed or "
            "intercepting proxy, an HTTP-only package index, an unsigned apt repository) fails after "
            "the fix until the right CA or signing key is installed. No fix is offered when the setting "
            "cannot be removed without changing what the rest of the command means (inside a pipeline "
            "or `||` list, or when removal would delete a comment line). Deleting an ENV, ARG or RUN "
            "instruction can leave two RUN instructions next to each other, which hadolint's DL3059 "
            "(info: consolidate consecutive RUNs) then reports; that trade is deliberate.",
            "references": {
                "checkov": (
                    "CKV2_DOCKER_2",
                    "CKV2_DOCKER_3",
                    "CKV2_DOCKER_4",
                    "CKV2_DOCKER_5",
                    "CKV2_DOCKER_6",
                    "CKV2_DOCKER_7",
                    "CKV2_DOCKER_8",
                    "CKV2_DOCKER_12",
                    "CKV2_DOCKER_13",
                    "CKV2_DOCKER_14",
                    "CKV2_DOCKER_16",
                ),
                "cis": ("4.11",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf411_missing_pipefail",
        {
            "code": "HF411",
            "name": "missing-pipefail",
            "severity": "warning",
            "summary": "A RUN uses a pipe, but a failure on the left of `|` does not fail the build.",
            "what": "Reports a shell-form RUN whose command line has a pipe `|` when neither the RUN itself (`set -o "
            'pipefail` before the pipe) nor the SHELL in force for the stage (`SHELL ["/bin/bash", "-o", '
            '"pipefail", "-c"]`, inherited through `FROM <stage>`) turns on pipefail. Pipes whose left side '
            "can only be `echo`/`printf`/`true` are not reported (nothing to mask). Exec-form RUN, heredoc "
            "scripts, non-POSIX shells (`cmd`, PowerShell) and Windows images are skipped.",
            "why": "A pipeline's exit status is that of its last command: in `curl -fsSL $URL | tar -xz` a 404 or a "
            'dropped connection leaves `tar` with empty input, the step "succeeds", and the image ships '
            "without the files (or with a half-written binary). pipefail makes the build stop at the real "
            "error.",
            "example": "FROM debian:bookworm-slim\n"
            "RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin",
            "fix": "When the stage's base is a Debian/Ubuntu official image (which ships bash) and no SHELL is set, "
            'insert `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the first such RUN. When the stage '
            'already sets a bash/zsh/ash/ksh SHELL in exec form without pipefail, add `"-o", "pipefail"` to '
            "it. Elsewhere there is no fix: Debian's `/bin/sh` (dash 0.5.12 in bookworm, trixie and Ubuntu "
            "24.04; pipefail came in a later dash) rejects `set -o pipefail`, Alpine and distroless bases have "
            'no bash (on Alpine, `SHELL ["/bin/ash", "-o", "pipefail", "-c"]` works), and adding `set -o '
            "pipefail;` to a RUN would break the build under dash.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: every later RUN of the stage (and of stages built FROM it) then runs under bash "
            "with pipefail instead of `/bin/sh`. A pipeline that relied on an ignored failure (`yes | "
            "head`, `grep -q` closing the pipe early, `cmd | tee log` with a failing `cmd`) now stops "
            "the build, and scripts that depend on dash-specific behaviour may change.",
            "references": {"hadolint": ("DL4006",), "trivy": ("DS032",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf412_run_cd",
        {
            "code": "HF412",
            "name": "run-cd",
            "severity": "warning",
            "summary": "A RUN starts with `cd DIR &&`: use WORKDIR to change directory.",
            "what": "Reports a shell-form RUN whose first command is `cd` followed by `&&` or `;` (a `cd` later in "
            "the command line, e.g. after `git clone`, is not reported). A RUN that is only `cd DIR` is "
            "reported too: it has no effect. Windows images and non-POSIX shells are skipped.",
            "why": "The directory change only lasts for that one RUN, so every later RUN, COPY and CMD must repeat "
            "it, and it is easy to get wrong when steps are reordered. WORKDIR states the directory once, "
            "creates it when missing, and documents where the image's commands run.",
            "example": "FROM golang:1.23-bookworm\n"
            "COPY . /src\n"
            "RUN cd /src && go build -o /out/app ./cmd/app\n"
            "WORKDIR /app",
            "fix": "Insert `WORKDIR DIR` before the RUN and drop `cd DIR && ` from it (the layout of a multi-line RUN "
            "is kept). Offered only when DIR is a plain absolute path (or a relative one resolved against an "
            "earlier absolute WORKDIR of the stage), `cd` takes no options, no later `cd -`, `pushd`/`popd` or "
            "`$OLDPWD` depends on the previous directory, no relative `--mount` target would move, and the new "
            "working directory cannot reach anything that depends on it: before the next absolute WORKDIR of "
            "the stage there is only ENV, ARG, LABEL, EXPOSE, USER, STOPSIGNAL, SHELL, COPY/ADD to absolute "
            "destinations and RUNs that themselves start with `cd /abs`; and the stage is neither the final "
            "stage nor a base of another stage.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: WORKDIR creates DIR when it does not exist (as root), where `cd` failed the build, "
            "and the working directory of the RUN is now also the stage's from that point on. The "
            "conditions above keep that from reaching anything that reads it, but scripts run by the "
            "RUN that inspect `$PWD` or `OLDPWD` could still see a difference.",
            "references": {"hadolint": ("DL3003",), "trivy": ("DS013",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf413_single_stage_toolchain",
        {
            "code": "HF413",
            "name": "single-stage-toolchain",
            "severity": "warning",
            "summary": "A single-stage image ships its build toolchain (compilers, SDK, dev dependencies) to "
            "production.",
            "what": "Checks Dockerfiles with exactly one FROM whose image runs an application (a CMD or ENTRYPOINT "
            "that is not just a shell or REPL) and still holds what built it: a builder base (`golang`, "
            "`rust`, `maven`, `gradle`, a JDK such as `openjdk`/`eclipse-temurin`, "
            "`mcr.microsoft.com/dotnet/sdk`, the full `python`/`node` images, `gcc`, `buildpack-deps`), "
            "compilers installed with apt/apk/dnf and not removed again (gcc, g++, build-essential, make, "
            "...), a build command (`go build`, `cargo build`, `npm run build`, `mvn package`, `gradle "
            "build`, `dotnet publish`), Python build tools (poetry, pipenv, uv, pdm, hatch, Cython, maturin), "
            "or Node devDependencies (`npm install`/`npm ci` without `--omit=dev`). Images whose RUN removes "
            "the toolchain after using it (the docker-library pattern), pure-Python installs on a slim base "
            "(a venv copy would make them larger) and Windows images pass.",
            "why": "Compilers, package managers, SDKs, sources and dev dependencies are attack surface the "
            "application never uses: an attacker with code execution gets a compiler and a package manager, "
            "and scanners report CVEs in all of them. They also make the image several times larger (`golang` "
            "is ~600 MB for an ~8 MB binary). A multi-stage build keeps the toolchain in a build stage and "
            "ships only the artifacts on a minimal base.",
            "example": 'FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app .\nCMD ["/out/app"]',
            "fix": "Renames the stage `AS build` (keeping the keyword's case) and adds a runtime stage after its\n"
            "last RUN/COPY/ADD that copies only the artifacts (`COPY --from=build <path> <path>`, same path,\n"
            "so every reference keeps working), and the CA certificates and time zones the build installed\n"
            "(`ca-certificates`, `tzdata`) when the runtime is another image. A file that pins its base by\n"
            "digest gets a runtime stage pinned the same way, or no split. The original lines stay as they "
            "are; the trailing EXPOSE,\n"
            "CMD, ENTRYPOINT, HEALTHCHECK, USER, LABEL... end up in the runtime stage, and such lines from "
            "the\n"
            "middle of the stage are moved there. ENV (minus build-only variables such as GOPATH, CGO_*,\n"
            "PIP_*, NPM_CONFIG_*), the last USER, SHELL and the WORKDIR are repeated in the runtime; ARGs\n"
            "the runtime stage expands are declared in it.\n"
            "\n"
            "Per stack:\n"
            "- **Go**: copies the binary CMD/ENTRYPOINT runs when `go build -o` / `go install` wrote it,\n"
            "  plus files COPY'd in after the build or outside the directory it builds in (config,\n"
            "  templates, static assets) and absolute paths among the CMD's arguments that a COPY put there.\n"
            "  `distroless/static` only when CGO_ENABLED=0 is set, else `distroless/cc` (cgo binaries need\n"
            "  glibc); Go on Alpine without CGO_ENABLED=0 is refused (musl).\n"
            "- **Rust**: the binary from `target/<profile>` (or `cargo install`'s bin), with the same extra\n"
            "  files as Go; `distroless/cc`, `distroless/static` for `--target *-musl`.\n"
            "- **Node**: the application directory (WORKDIR and where `npm ci` ran), after `RUN npm prune\n"
            "  --omit=dev` (`--production` before Node 15, `pnpm prune --prod`) at the end of the build when\n"
            "  the install kept devDependencies; yarn is refused (v1 and Berry prune differently). Runtime\n"
            "  `node:<same version>-slim`, which keeps npm and a shell so `npm start` still works; mapping\n"
            "  `node` to `gcr.io/distroless/nodejs22-debian12:nonroot` drops them, and then CMD must be `node\n"
            '  <file>` (rewritten to the distroless form `CMD ["<file>"]`).\n'
            "- **Python** (on the `python` image): inserts `RUN python -m venv /opt/venv` and `ENV\n"
            "  PATH=/opt/venv/bin:$PATH` before the first `pip install` (or uses the venv the file already\n"
            "  installs into), and copies the venv and the application directory into the same Python's\n"
            "  slim variant. Refused when something installs where a venv cannot catch it (`--user`,\n"
            "  `--target`, pip by absolute path, poetry/pipenv/uv/pdm, `setup.py install`).\n"
            "- **Java**: the jar or classpath of `java -jar …` into `eclipse-temurin:<release>-jre`.\n"
            "- **.NET**: the `dotnet publish -o` directory holding the entry assembly into\n"
            "  `mcr.microsoft.com/dotnet/aspnet:<major.minor>` (`runtime-deps` when self-contained).\n"
            "\n"
            "On a runtime without a shell (distroless) shell-form CMD/ENTRYPOINT/HEALTHCHECK are rewritten\n"
            "in exec form, a program found on PATH becomes its absolute path, and commands that need a shell\n"
            "or a tool the runtime lacks (curl in a HEALTHCHECK, an entrypoint script) are refused.\n"
            "\n"
            "It does not guess. It refuses, saying why, when it cannot tell the artifact or the\n"
            "entrypoint (a CMD that runs something no build command produced, `go run`, variables in paths),\n"
            "when the build installs OS packages the application may need at run time (libpq, ffmpeg...),\n"
            "when a USER the build created has no explicit uid, when the image starts as root to drop\n"
            "privileges itself (gosu, su-exec, supervisord...: the runtime base would lack them), or for\n"
            "ONBUILD and heredocs. Comments say\n"
            "what it cannot see: `# hardenify: artifact=/out/app` (repeatable; these paths are copied\n"
            "instead of the inferred ones) and `# hardenify: runtime=<image>`.\n"
            "\n"
            "The runtime base per stack comes from this mapping, overridable in the config with\n"
            '`[options] runtime-bases = { node = "gcr.io/distroless/nodejs{major}-debian12:nonroot" }`\n'
            "(fields: {image}, {version}, {series}, {major}, {distro}, {variant}, {debian}, {java}):\n"
            "\n"
            "- `go-static` → `gcr.io/distroless/static-debian{debian}:nonroot`\n"
            "- `go` → `gcr.io/distroless/cc-debian{debian}:nonroot`\n"
            "- `rust-static` → `gcr.io/distroless/static-debian{debian}:nonroot`\n"
            "- `rust` → `gcr.io/distroless/cc-debian{debian}:nonroot`\n"
            "- `node` → `node:{version}{distro}-slim`\n"
            "- `node-alpine` → `{image}`\n"
            "- `python` → `python:{version}-slim{distro}`\n"
            "- `python-alpine` → `{image}`\n"
            "- `java` → `eclipse-temurin:{java}-jre`\n"
            "- `java-alpine` → `eclipse-temurin:{java}-jre-alpine`\n"
            "- `dotnet` → `mcr.microsoft.com/dotnet/aspnet:{series}{variant}`\n"
            "- `dotnet-self-contained` → `mcr.microsoft.com/dotnet/runtime-deps:{series}{variant}`",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the runtime image has only the copied artifacts, so anything else the application "
            "reads at run time (for Go and Rust, files it reads from the source tree it was built in; "
            "files written by RUN outside the application directory; a tool it shells out to) is "
            "missing unless named with an `artifact=` hint; native extensions compiled against "
            "libraries of a full image may need those libraries in the slim runtime; distroless bases "
            "have no shell for `docker exec`; and files the runtime copies are owned as in the build "
            "(the copied top directory itself becomes root-owned).",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf414_plain_http_download",
        {
            "code": "HF414",
            "name": "plain-http-download",
            "severity": "warning",
            "summary": "The build downloads files or packages over plain HTTP or FTP.",
            "what": "Reports, in RUN commands (heredoc scripts and `sh -c` strings included) and ENV:\n"
            "\n"
            "- `curl`/`wget` of an `http://` or `ftp://` URL;\n"
            "- `ADD http://…`;\n"
            "- a package index over HTTP: `pip install "
            "--index-url`/`-i`/`--extra-index-url`/`--find-links`/`-f`, `pip config set global.index-url`, "
            "`npm`/`yarn`/`pnpm` `--registry` or `config set registry`, and ENV `PIP_INDEX_URL`, "
            "`PIP_EXTRA_INDEX_URL`, `NPM_CONFIG_REGISTRY`;\n"
            "- an apt source `deb http://…` written by the build for a third-party repository without "
            "`[signed-by=…]`.\n"
            "\n"
            "Not reported: loopback and `.localhost` hosts, URLs whose host is a variable, a download that "
            "the same RUN verifies (`sha256sum -c`, `sha512sum -c`, `gpg --verify`, `cosign verify-blob`...), "
            "and the distributions' own apt mirrors (apt checks their Release signatures with the keys the "
            "image ships).",
            "why": "Anything fetched over plain HTTP can be read and replaced by whoever sits on the path (a "
            "compromised Wi-Fi, a proxy, a hostile network in CI): the build then runs or ships their code. A "
            "package index over HTTP also leaks which packages and versions the image uses, and pip and npm do "
            "not verify packages from a custom index by signature.",
            "example": "FROM debian:bookworm-slim\n"
            "RUN curl -fsSLo /usr/local/bin/tool http://example.com/tool && chmod +x /usr/local/bin/tool\n"
            "RUN pip install --index-url http://pypi.corp.example/simple app",
            "fix": "No automatic fix: whether the server answers over HTTPS cannot be known from the file. Use the "
            '`https://` URL, or verify the download against a pinned checksum (`echo "<sha256>  file" | '
            "sha256sum -c -`) or signature in the same RUN.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("4.11",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf415_unguarded_rm_variable",
        {
            "code": "HF415",
            "name": "unguarded-rm-variable",
            "severity": "warning",
            "summary": '`rm -r` of `"$VAR"/…` where an unset or empty variable deletes from `/`.',
            "what": "Reports `rm` with `-r`/`-R`/`--recursive` whose operand starts with a variable followed by `/` "
            '(`$DIR/*`, `"${DIR}"/cache`, `${DIR}/`), when the variable has no non-empty value from an `ENV` '
            "or an `ARG` default of the stage (or its parents, or the global ARGs) and is not assigned "
            "earlier in the same RUN. `${DIR:?}` and `${DIR:-default}` are guarded and pass.",
            "why": 'An empty variable turns `rm -rf "$DIR"/*` into `rm -rf /*`: a typo in a build argument, a '
            "variable renamed in one place, or an ARG not passed wipes the image's file system (Steam's "
            "installer famously did this to home directories). The build may even succeed and ship an image "
            "without its files.",
            "example": 'FROM debian:bookworm-slim\nARG PREFIX\nRUN rm -rf "$PREFIX"/share/doc',
            "fix": "No automatic fix: write `${PREFIX:?}` (the shell then stops with an error when it is empty), give "
            "the ARG a default, or use an absolute path.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf416_composer_dev_dependencies",
        {
            "code": "HF416",
            "name": "composer-dev-dependencies",
            "severity": "warning",
            "summary": "`composer install` without `--no-dev`, or xdebug installed, in the shipped image.",
            "what": "In the stages whose layers ship (the final stage and the stages it is built FROM; the only stage "
            "of a single-stage file) reports `composer install`/`update` (also `composer.phar` and `php "
            "composer.phar ...`) without `--no-dev` when `COMPOSER_NO_DEV` is not set, and the xdebug "
            "extension being installed or enabled: `pecl install xdebug`, `docker-php-ext-enable xdebug`, "
            "`install-php-extensions xdebug`, or the `php-xdebug`/`php8.3-xdebug`/`php83-pecl-xdebug` "
            "packages through apt or apk. Builder stages only copied from pass, and so does an image with "
            "neither CMD nor ENTRYPOINT on a CLI base (a tool or test image, whose tests need the dev "
            "packages).",
            "why": "`require-dev` packages (test frameworks, debug bars, code generators) are not meant to run in "
            "production and some expose endpoints or execute code from requests (the `phpunit/phpunit` "
            "`eval-stdin.php` remote code execution, CVE-2017-9841, was exploited in images that shipped dev "
            "dependencies). xdebug lets whoever reaches its port step through and evaluate code in the "
            "application (`xdebug.start_with_request`), and slows every request.",
            "example": "FROM php:8.3-fpm\n"
            "COPY . /var/www/html\n"
            "RUN composer install --optimize-autoloader\n"
            "RUN pecl install xdebug && docker-php-ext-enable xdebug",
            "fix": "Inserts ` --no-dev` after `install`/`update`. It declines when a later step of the shipped "
            "stages, its CMD or ENTRYPOINT runs a dev tool (phpunit, pest, phpstan, psalm, php-cs-fixer, "
            "phpcs, behat, codecept, infection). xdebug is reported without a fix: install it only in a "
            "development target (`FROM app AS dev`), or behind a build argument that defaults to off.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: an application that loads a `require-dev` package at run time (a seeder, a debug "
            "bar enabled in production config) fails after the change; check `composer.json` before "
            "accepting it.",
            "references": {},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf417_unpinned_tool_install",
        {
            "code": "HF417",
            "name": "unpinned-tool-install",
            "severity": "warning",
            "summary": "A tool is installed from a language registry without a version (`go install …@latest`, `npm i "
            "-g x`).",
            "what": "Reports tool installs whose version is whatever is newest at build time: `go install "
            "<module>@latest` (or `@master`/`@main`/`@HEAD`; without `@` the module's go.mod decides), `cargo "
            "install <crate>` without `--version`/`<crate>@<version>` (and `--git` without `--rev`/`--tag`), "
            "`npm install -g`, `yarn global add` and `pnpm add -g` of a package without `@<version>` (or with "
            "a dist-tag such as `@latest`), `pipx install` without `==<version>`, `pip install` of a known "
            "command-line tool (poetry, pipenv, uv, awscli, ansible, pre-commit...; "
            "`hardenify/knowledge/tools.py`) without a version, and `gem install` without `-v` or "
            "`<gem>:<version>`. Project installs (`npm ci`, `pip install -r requirements.txt`, `npm install` "
            "without names) and local paths pass; a pip install with a constraints file (`-c`) passes. "
            "Package versions of apt, apk, pip and npm project dependencies are HF418's (off by default).",
            "why": "An unpinned tool makes the build depend on the day it runs: a new major release changes behaviour "
            "or breaks the build, and a compromised release (the `ua-parser-js`, `event-stream` and `ctx` "
            "incidents) goes straight into every image built after it. A pinned version is reviewed once and "
            "changes only through a commit.",
            "example": "FROM golang:1.23 AS tools\n"
            "RUN go install golang.org/x/tools/gopls@latest\n"
            "FROM node:22-slim\n"
            "RUN npm install -g pnpm",
            "fix": "No automatic fix: the version to pin is a choice. The message says how to pin for each registry "
            "(`@v1.2.3`, `--version 1.2.3 --locked`, `pnpm@9.1.0`, `poetry==1.8.3`, `-v 2.5.0`).",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL3016", "DL3028")},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf418_package_version_not_pinned",
        {
            "code": "HF418",
            "name": "package-version-not-pinned",
            "severity": "info",
            "summary": "Off by default: packages installed with apt-get, apk, pip, npm or gem without a version.",
            "what": "Per package manager, reports the packages an install names without a version: `apt-get install "
            "curl` (pin `curl=<version>`), `apk add curl` (`curl=<version>` or `curl~<version>`), `pip "
            "install requests` (any version specifier counts: `==`, `~=`, `>=`), `npm install left-pad` with "
            "package names (`left-pad@1.3.0`; a dist-tag such as `@latest` is not a version), and `gem "
            "install rails` (`-v` or `rails:<version>`). One finding per command lists its unpinned packages. "
            "Project installs from a lockfile or requirements file (`npm ci`, `pip install -r`), local paths, "
            "URLs, files and variables are not reported. The rule is off by default: enable it with `--select "
            "HF418` (or `extend-select`); `ALL` and `HF4` do not turn it on.",
            "why": "An unpinned package installs whatever the mirror has on the day of the build, so two builds of "
            "one commit can differ, and a bad release reaches the image unreviewed. The cost is maintenance: "
            "pins must be bumped (Debian removes superseded versions from its mirrors), which is why this is a "
            "policy to opt into (hadolint's DL3008 family fires in 108 of 300 real files) rather than a "
            "default.",
            "example": "FROM debian:bookworm-slim\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends curl",
            "fix": "No automatic fix: the version to pin depends on the mirror and the day. Pin each package, or "
            "install from a lockfile.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL3008", "DL3018", "DL3013", "DL3016", "DL3028")},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": False,
        },
    ),
    (
        "hf501_add_instead_of_copy",
        {
            "code": "HF501",
            "name": "add-instead-of-copy",
            "severity": "warning",
            "summary": "ADD copies local files: use COPY, which does not unpack archives or fetch URLs.",
            "what": "Reports ADD (also `ONBUILD ADD`) whose sources are all local files or directories: no URL, no "
            "git repository, no local tar archive (by extension: `.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, "
            "`.tbz2`, `.tar.xz`, `.txz`, `.tar.zst`, `.gz`, `.bz2`, `.xz`, `.zst`, `.lz`, `.lzma`, `.Z`, ...) "
            "and no ADD-only flag (`--checksum`, `--keep-git-dir`, `--unpack`). Sources are read the way "
            'BuildKit reads them, with shell quotes removed: `ADD "vendor.tar.gz" /opt/` is an archive and '
            '`ADD "https://…" dir` a URL. `${VARS}` are resolved from ARG/ENV defaults; a source that stays '
            "unknown (or has an unclosed quote) is reported but not fixed.",
            "why": "ADD silently extracts anything that is a tar archive and downloads URLs, so what lands in the "
            "image depends on the content of the file, not just on the instruction. COPY does exactly one "
            "thing, which makes the build easier to review (CIS Docker Benchmark 4.9).",
            "example": "FROM python:3.12-slim\nADD requirements.txt /app/\nADD src /app/src",
            "fix": "Replace the keyword `ADD` with `COPY`, keeping its case (`add` → `copy`) and every flag "
            "(`--chown`, `--chmod`, `--link` and `--exclude` mean the same for COPY).",
            "fix_availability": "safe",
            "fix_safety": "Safe: for local non-archive sources ADD and COPY copy the same bytes with the same "
            "ownership and permissions. The archive check is by file name, as in hadolint and Trivy: a "
            "tar archive without a tar-like extension (ADD detects archives by content) would no longer "
            "be unpacked.",
            "references": {
                "hadolint": ("DL3020",),
                "trivy": ("DS005",),
                "checkov": ("CKV_DOCKER_4",),
                "cis": ("4.9",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf502_add_remote_url",
        {
            "code": "HF502",
            "name": "add-remote-url",
            "severity": "warning",
            "summary": "ADD fetches a URL without `--checksum`: the download is not verified.",
            "what": "Reports ADD (also `ONBUILD ADD`) with an `http://` or `https://` source (after ARG/ENV defaults "
            "are substituted) and no `--checksum=sha256:…` flag. Git sources are not reported here.",
            "why": "The file is whatever the server returns at build time. A moved release, a compromised download "
            "host or (for `http://`) anyone on the network path changes the image without any change to the "
            "Dockerfile, and the build cache hides when it happened.",
            "example": "FROM debian:bookworm-slim\n"
            "ADD https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64 /usr/local/bin/gosu",
            "fix": "Pin the content: `ADD --checksum=sha256:<digest> https://… /dest` (Dockerfile syntax 1.6+; add `# "
            "syntax=docker/dockerfile:1` on older builders), or download with `RUN curl -fsSLo FILE URL && "
            'echo "<sha256>  FILE" | sha256sum -c -`. No automatic fix: the digest must come from a trusted '
            "source, not from downloading the file now.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"checkov": ("CKV_DOCKER_4",), "cis": ("4.9", "4.11")},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf503_ssh_exposed",
        {
            "code": "HF503",
            "name": "ssh-exposed",
            "severity": "warning",
            "summary": "The image exposes port 22, installs an SSH server or starts sshd.",
            "what": "Checks the final stage and the stages it is built FROM for `EXPOSE 22` (also `22/tcp`, "
            "`${SSH_PORT}` resolving to 22, and port ranges that include 22), package installs of an SSH "
            "server (`openssh-server`, Debian's `ssh` metapackage, Alpine's `openssh`, `dropbear`; Windows' "
            "`OpenSSH.Server` capability) and CMD/ENTRYPOINT running `sshd`.",
            "why": "An SSH daemon in a container is a second, long-lived entry point with its own credentials and "
            "host keys (often baked into the image and shared by every container). It bypasses the runtime's "
            "access control and audit trail. Use `docker exec` / `kubectl exec` or `kubectl debug` to get a "
            "shell instead.",
            "example": "FROM ubuntu:24.04\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends openssh-server\n"
            "EXPOSE 22\n"
            'CMD ["/usr/sbin/sshd", "-D"]',
            "fix": "Remove port 22 from EXPOSE (the instruction when 22 was its only port). Package installs and sshd "
            "commands are only reported: removing them needs a decision about how the container is reached.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: EXPOSE is documentation for `docker run -P` and some orchestrators; tooling that "
            "publishes all exposed ports no longer publishes 22.",
            "references": {"trivy": ("DS004",), "checkov": ("CKV_DOCKER_1",), "cis": ("4.3",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf504_shell_form_cmd",
        {
            "code": "HF504",
            "name": "shell-form-cmd",
            "severity": "warning",
            "summary": "CMD/ENTRYPOINT in shell form runs under `/bin/sh -c`: the process does not get signals.",
            "what": "Reports CMD and ENTRYPOINT written in shell form (`CMD python app.py`) instead of exec form "
            '(`CMD ["python", "app.py"]`). Windows images are skipped.',
            "why": "In shell form the container's PID 1 is `/bin/sh -c '…'`. dash (Debian's /bin/sh) does not forward "
            "SIGTERM, so `docker stop` waits 10 s and then SIGKILLs the application without a graceful "
            "shutdown. A shell-form ENTRYPOINT also ignores CMD and `docker run` arguments.",
            "example": "FROM python:3.12-slim\nCOPY app.py /app/\nCMD python /app/app.py",
            "fix": "Rewrite as exec form, one JSON string per word (`json.dumps`), keeping the keyword case, comments "
            "and the continuation layout of a multi-line instruction. A leading `exec` is dropped (exec form "
            "already replaces the shell). Offered only when the command line uses no shell feature (no `$VAR`, "
            "operators, redirection, globbing, `~`, backslashes, comments), does not start with a variable "
            "assignment or a shell builtin, and the stage keeps the default SHELL.",
            "fix_availability": "sometimes",
            "fix_safety": "CMD: safe, the same program gets the same arguments, it just runs as PID 1. Unsafe when "
            "the stage (or a stage it is built FROM) sets an ENTRYPOINT: that entrypoint then receives "
            "the words instead of `/bin/sh -c '…'` (an ENTRYPOINT inherited from the base image cannot "
            'be seen; entrypoint scripts that end in `exec "$@"` behave the same either way). '
            "ENTRYPOINT: unsafe, because in exec form the stage's CMD and `docker run` arguments are "
            "appended to it where the shell form ignored them.",
            "references": {"hadolint": ("DL3025",), "buildkit": ("JSONArgsRecommended",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf505_maintainer_deprecated",
        {
            "code": "HF505",
            "name": "maintainer-deprecated",
            "severity": "style",
            "summary": "MAINTAINER is deprecated: use `LABEL org.opencontainers.image.authors=…`.",
            "what": "Reports every MAINTAINER instruction.",
            "why": "MAINTAINER has been deprecated since Docker 1.13: it only fills the legacy `Author` field, which "
            "OCI tooling and registries do not show. The OCI annotation `org.opencontainers.image.authors` is "
            "the standard place for the contact, next to the other `org.opencontainers.image.*` labels.",
            "example": "FROM debian:bookworm-slim\nMAINTAINER Jane Doe <jane@example.com>",
            "fix": 'Replace it with `LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"` (keyword '
            "case kept: `maintainer` → `label`; quotes, `$` and the escape character are escaped so the label "
            "holds exactly the MAINTAINER text, surrounding quotes removed). When the stage already has an "
            "`org.opencontainers.image.authors` label, MAINTAINER is just deleted.",
            "fix_availability": "safe",
            "fix_safety": "Safe: the build does the same; the image gets the label instead of the deprecated `Author` "
            "field (`docker inspect -f '{{.Author}}'` becomes empty).",
            "references": {
                "hadolint": ("DL4000",),
                "trivy": ("DS022",),
                "checkov": ("CKV_DOCKER_6",),
                "buildkit": ("MaintainerDeprecated",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf506_relative_workdir",
        {
            "code": "HF506",
            "name": "relative-workdir",
            "severity": "warning",
            "summary": "WORKDIR is relative and no absolute WORKDIR was set before it in the stage.",
            "what": "Reports a WORKDIR whose path does not start with `/`, `$` or a drive (`C:\\`, `C:/`; on Windows "
            "images also `C:` and `\\`) when no earlier WORKDIR of the stage, or of a stage it is built FROM, "
            "set an absolute path. Only the first relative WORKDIR of a stage is reported: the next ones are "
            "relative to it.",
            "why": "A relative WORKDIR is resolved against the working directory of the base image, which the "
            "Dockerfile does not show and which changes when the base image does: files end up in a different "
            "place and CMD paths break without any change to the Dockerfile.",
            "example": "FROM node:22-bookworm-slim\nWORKDIR app\nCOPY . .",
            "fix": "Use an absolute path (`WORKDIR /app`). No automatic fix: the base image's directory is not known.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {
                "hadolint": ("DL3000",),
                "trivy": ("DS009",),
                "checkov": ("CKV_DOCKER_10",),
                "buildkit": ("WorkdirRelativePath",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf507_missing_healthcheck",
        {
            "code": "HF507",
            "name": "missing-healthcheck",
            "severity": "info",
            "summary": "The final image runs a service but defines no HEALTHCHECK.",
            "what": "Reports the final stage when it looks like a long-running service (it EXPOSEs a port, its "
            "CMD/ENTRYPOINT runs a known server such as gunicorn, uvicorn, nginx, httpd, php-fpm, puma, "
            "`rails server`, `flask run`, `manage.py runserver`, or it is built on an official server image "
            "without overriding the command) and neither it nor a stage it is built FROM has a HEALTHCHECK "
            "(`HEALTHCHECK NONE` counts as a decision). Skipped: `scratch`, images with no CMD/ENTRYPOINT of "
            "their own on a non-server base, final stages named like a build stage (`build`, `builder`, "
            "`test`, `dev`, ...) and `.devcontainer` files. A HEALTHCHECK inherited from the base image "
            "cannot be seen: if the base has one, ignore this finding.",
            "why": "Without a health check the engine only knows whether the process is alive, not whether it serves: "
            "a deadlocked or still-starting app receives traffic, Compose `depends_on: condition: "
            "service_healthy` and Swarm rolling updates cannot wait for it (CIS Docker Benchmark 4.6). "
            "Kubernetes ignores HEALTHCHECK and uses probes instead.",
            "example": "FROM python:3.12-slim\n"
            "COPY . /app\n"
            "EXPOSE 8000\n"
            'CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]',
            "fix": "When the final stage exposes exactly one TCP port and the image is known to contain a runtime "
            "that can probe it without extra packages, insert before CMD/ENTRYPOINT: for python images "
            '`HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 CMD ["python", "-c", '
            "\"import socket; socket.create_connection(('127.0.0.1', PORT), 2).close()\"]`; for node images "
            "the same TCP probe with `node -e`; for distroless python3/nodejs images the same with their "
            "interpreter path. A TCP connect checks that the port accepts connections without guessing an HTTP "
            "path. curl/wget are never assumed, and scratch, other distroless images and Windows images get no "
            "fix.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: the container gets a health status. Compose, Swarm and `docker run --restart` "
            "tooling may then wait for, restart or replace containers the probe reports as unhealthy, "
            "e.g. an app that only listens on an interface other than 127.0.0.1 or takes longer than "
            "the start period to open its port.",
            "references": {"trivy": ("DS026",), "checkov": ("CKV_DOCKER_2",), "cis": ("4.6",)},
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf508_multiple_cmd_entrypoint",
        {
            "code": "HF508",
            "name": "multiple-cmd-entrypoint",
            "severity": "warning",
            "summary": "A stage has several CMD, ENTRYPOINT or HEALTHCHECK instructions: only the last one counts.",
            "what": "Reports every CMD, ENTRYPOINT and HEALTHCHECK that a later instruction of the same kind in the "
            "same stage overrides (ONBUILD ones are not counted).",
            "why": "Only the last CMD, ENTRYPOINT and HEALTHCHECK of a stage end up in the image. The earlier ones "
            "look like they do something, which misleads reviewers and usually means an edit went to the wrong "
            "line.",
            "example": 'FROM python:3.12-slim\nCMD ["python", "manage.py", "migrate"]\nCMD ["gunicorn", "app.wsgi"]',
            "fix": "Delete the overridden instructions (only the instruction: comments around it stay).",
            "fix_availability": "safe",
            "fix_safety": "Safe: the image configuration is the same, since the deleted instructions were overridden "
            "(an ENTRYPOINT resets an inherited CMD with or without them).",
            "references": {
                "hadolint": ("DL4003", "DL4004", "DL3012"),
                "trivy": ("DS016", "DS007", "DS023"),
                "buildkit": ("MultipleInstructionsDisallowed",),
            },
            "kinds": ("dockerfile",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf600_compose_parse_error",
        {
            "code": "HF600",
            "name": "compose-parse-error",
            "severity": "error",
            "summary": "A compose file is not valid YAML, or a mapping repeats a key.",
            "what": "Reports where the YAML loader stops on a compose file (with its message), and keys written twice "
            "in the same mapping. The other compose rules (HF601-HF616) need a loadable file: without this "
            "finding a broken file would pass silently.",
            "why": "`docker compose` refuses such a file (a duplicate key is an error for it, not a silent override), "
            "so nothing in it is deployed as written; a duplicated key also hides which value a reader should "
            "trust.",
            "example": "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.26",
            "fix": "Correct the YAML at the reported line (indentation, an unclosed quote or bracket, a tab used for "
            "indentation) or remove one of the duplicated keys.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf601_privileged",
        {
            "code": "HF601",
            "name": "privileged",
            "severity": "error",
            "summary": "A compose service sets `privileged: true`.",
            "what": "Reports services whose effective `privileged` is true, whether written in the service or merged "
            "in from an anchor (`<<: *defaults`).",
            "why": "A privileged container gets every capability, all host devices and no seccomp/AppArmor "
            "confinement: root in it is root on the host, and escaping takes one mount command. Almost nothing "
            "needs it: grant the one capability (`cap_add`) or device (`devices`) the service uses. CIS Docker "
            "Benchmark 5.4.",
            "example": "services:\n  app:\n    image: example/app:1.2\n    privileged: true",
            "fix": "Removes the `privileged: true` line (where it is written: the service or the anchor it merges). "
            "When it is a mapping's only key, or shares its line with other keys, it is set to `false` "
            "instead.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: a service that really uses a device or a capability stops working until it is "
            "granted explicitly (`devices:`, `cap_add:`). When the setting lives in an anchor that "
            "other services merge, they lose it too (the message names them).",
            "references": {"cis": ("5.4",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf602_sensitive_host_mount",
        {
            "code": "HF602",
            "name": "sensitive-host-mount",
            "severity": "error",
            "summary": "A compose service mounts the Docker socket or a sensitive host directory.",
            "what": "Reports bind mounts (short `src:dst[:mode]` and long `type: bind` syntax) of the Docker, "
            "containerd or Podman socket (`/var/run/docker.sock`, `/run/docker.sock`, the Windows "
            "`//./pipe/docker_engine` pipe...) and of the host's `/`, `/boot`, `/dev`, `/etc`, `/lib`, "
            "`/proc`, `/root`, `/run`, `/sys`, `/usr`, `/var/run` and `/var/lib/docker` directories, "
            "read-only or not. `${VAR:-default}` sources are checked with their default. Files below those "
            "directories (`/etc/localtime`) are not reported.",
            "why": "The Docker socket is the Docker API: whoever can write to it starts a privileged container with "
            "the host's `/` mounted, so mounting it hands root on the host to the container. Host system "
            "directories expose credentials (`/etc/shadow`, `/root/.ssh`), kernel interfaces (`/proc`, "
            "`/sys`), devices and other containers' data. CIS Docker Benchmark 5.5 and 5.31.",
            "example": "services:\n"
            "  agent:\n"
            "    image: example/agent:1.0\n"
            "    volumes:\n"
            "      - /var/run/docker.sock:/var/run/docker.sock",
            "fix": "No automatic fix: the service's design decides. Use a socket proxy that allows only the API calls "
            "it needs (tecnativa/docker-socket-proxy), rootless Docker, or mount only the file it reads.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.5", "5.31")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf603_host_namespace",
        {
            "code": "HF603",
            "name": "host-namespace",
            "severity": "error",
            "summary": "A compose service shares a host namespace (`network_mode`, `pid`, `ipc`, `uts` or "
            "`userns_mode` set to `host`).",
            "what": "Reports `network_mode: host`, `pid: host`, `ipc: host`, `uts: host` and `userns_mode: host`, "
            "written in the service or merged in from an anchor.",
            "why": "Namespaces are what isolates a container. With the host's network namespace it binds host ports, "
            "reaches services listening on localhost and bypasses published-port rules; with the host's PID "
            "namespace it sees (and with enough privileges signals or ptraces) every host process; the IPC "
            "namespace exposes host shared memory; the UTS namespace lets it change the host name; "
            "`userns_mode: host` turns off user-namespace remapping, so container root is host root again. CIS "
            "Docker Benchmark 5.9, 5.15, 5.16, 5.20 and 5.30.",
            "example": "services:\n  monitor:\n    image: example/monitor:2\n    network_mode: host\n    pid: host",
            "fix": "No automatic fix: publish the ports the service needs (`ports:`), share a namespace with one "
            "service instead of the host (`network_mode: service:<name>`, `pid: service:<name>`), or run the "
            "tool on the host.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.9", "5.15", "5.16", "5.20", "5.30")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf604_dangerous_capability",
        {
            "code": "HF604",
            "name": "dangerous-capability",
            "severity": "error",
            "summary": "A compose service adds a capability that breaks container isolation (`cap_add: "
            "[SYS_ADMIN]`...).",
            "what": "Reports `cap_add` entries (with or without the `CAP_` prefix, any case) that are known escape or "
            "host-control primitives: ALL, SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, SYS_BOOT, SYS_TIME, "
            "DAC_READ_SEARCH, NET_ADMIN, MAC_ADMIN, MAC_OVERRIDE, BPF, PERFMON, SYSLOG, LINUX_IMMUTABLE. "
            "Capabilities Docker grants by default (CHOWN, NET_BIND_SERVICE...) or that only affect the "
            "container itself are not reported.",
            "why": "SYS_ADMIN allows mounting filesystems and is the classic route out of a container (cgroup "
            "release_agent); SYS_MODULE loads kernel modules; SYS_PTRACE with a shared PID namespace reads "
            "other processes' memory; DAC_READ_SEARCH opened the 'shocker' escape; NET_ADMIN reconfigures "
            "networking and firewall rules; BPF/PERFMON load kernel programs; SYS_TIME changes the host clock. "
            "CIS Docker Benchmark 5.3.",
            "example": "services:\n"
            "  vpn:\n"
            "    image: example/vpn:1\n"
            "    cap_add:\n"
            "      - NET_ADMIN\n"
            "      - SYS_ADMIN",
            "fix": "No automatic fix: check what the service really does with the capability. Prefer a narrower one, "
            "a device (`devices:`) or doing the privileged part on the host; keep `cap_drop: [ALL]` (HF605) so "
            "only what is listed remains.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.3",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf605_missing_cap_drop",
        {
            "code": "HF605",
            "name": "missing-cap-drop",
            "severity": "warning",
            "summary": "A compose service does not drop Linux capabilities (`cap_drop: [ALL]`).",
            "what": "Reports services whose `cap_drop` (own, merged from an anchor, or from a same-file `extends`) "
            "does not contain ALL. Privileged services are left to HF601; services extending another file are "
            "skipped (rules read one file).",
            "why": "Docker gives every container 14 capabilities by default (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, "
            "SETGID, NET_RAW, MKNOD, SYS_CHROOT...). Most services need none of them, and each one is "
            "something an attacker in the container can use: NET_RAW for ARP/DNS spoofing on the bridge, "
            "SETUID/SETGID and DAC_OVERRIDE to defeat file permissions. Dropping ALL and adding back only what "
            "is needed (`cap_add`) is least privilege. CIS Docker Benchmark 5.3.",
            "example": "services:\n  api:\n    image: example/api:3.1",
            "fix": "Adds `cap_drop: [ALL]` together with the `cap_add` list the image needs to start, so the\n"
            "service keeps working (existing `cap_drop`/`cap_add` lists are extended in their own style):\n"
            "\n"
            "- images that chown their data and switch user with gosu (postgres, redis, mysql, mariadb, "
            "mongo,\n"
            "  rabbitmq): `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `SETGID`, `SETUID`;\n"
            "- nginx and httpd/php-apache (root master binding :80, workers as another user): `CHOWN`,\n"
            "  `NET_BIND_SERVICE`, `SETGID`, `SETUID`; php-fpm: `CHOWN`, `SETGID`, `SETUID`;\n"
            "- wordpress, nextcloud: the gosu set plus `NET_BIND_SERVICE` (fpm variants without it);\n"
            "- linuxserver (s6-overlay): the gosu set plus `KILL`;\n"
            "- images that run as a non-root user and need nothing (Bitnami, Grafana, Prometheus, memcached,\n"
            "  nginx-unprivileged, distroless `:nonroot`...), a service with a non-root `user:`, and a built\n"
            "  image whose Dockerfile (the `build.target` stage, else the last) ends with a non-root USER and\n"
            "  starts no privilege dropper (gosu, su-exec, setpriv, s6, supervisord...): no `cap_add`.\n"
            "\n"
            "Each family's facts and their upstream source are in `hardenify/knowledge/images.py`.\n"
            "The fix declines, and says why, for any other image (hardenify does not know what it needs), a\n"
            "built image without such a USER or whose Dockerfile cannot be read, a capability-free image run\n"
            "as root by `user:`, and a `cap_add` that is not a list.",
            "fix_availability": "sometimes",
            "fix_safety": "Safe when nothing is added back and the image runs as its own non-root user (the known "
            "non-root images above). Unsafe when capabilities are added back, for built images and "
            "`user:` overrides (a setuid helper the service execs would lose its privileges), and when "
            "the list lives in an anchor other services share.",
            "references": {"cis": ("5.3",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf606_missing_no_new_privileges",
        {
            "code": "HF606",
            "name": "missing-no-new-privileges",
            "severity": "warning",
            "summary": "A compose service does not set `security_opt: [no-new-privileges:true]`.",
            "what": "Reports services whose `security_opt` (own, merged, or from a same-file `extends`) does not "
            "contain `no-new-privileges` (`:true`, `=true` or bare), and services that set it to false. "
            "Privileged services are left to HF601.",
            "why": "Without it, a process in the container can gain privileges by executing a setuid or "
            "file-capability binary (su, sudo, a planted setuid shell): the step from a compromised non-root "
            "process to root inside the container, and from there to the host's kernel attack surface. The "
            "flag sets the kernel's `no_new_privs` bit, which is inherited and cannot be undone. CIS Docker "
            "Benchmark 5.25 (5.26 in v1.7+).",
            "example": "services:\n  web:\n    image: nginx:1.27",
            "fix": "Adds `security_opt: [no-new-privileges:true]` to the service, or appends `no-new-privileges:true` "
            "to its existing `security_opt` list in the list's own style, where the list is written. An "
            "explicit `no-new-privileges:false` is reported without a fix.",
            "fix_availability": "sometimes",
            "fix_safety": "Safe for images known not to exec setuid/setcap binaries: everything HF605 lists, plus "
            "servers that switch users with setuid() themselves (gosu/su-exec entrypoints of postgres, "
            "mysql, mariadb, mongo, redis, rabbitmq...; nginx and httpd workers; traefik, caddy, "
            "haproxy, registry), which `no_new_privs` does not affect. Unsafe otherwise (sudo or su "
            "inside the service stops working; built images are unknown), and when the list lives in an "
            "anchor other services share.",
            "references": {"cis": ("5.25",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf607_unconfined_profile",
        {
            "code": "HF607",
            "name": "unconfined-profile",
            "severity": "error",
            "summary": "A compose service disables a kernel confinement layer (`seccomp:unconfined`, "
            "`apparmor:unconfined`, `label:disable`, `systempaths=unconfined`).",
            "what": "Reports `security_opt` entries that switch off the default seccomp filter, the AppArmor profile, "
            "SELinux labelling, or the masking of `/proc` and `/sys` paths (`:` or `=` as separator, any "
            "case).",
            "why": "Docker's default seccomp profile blocks about 50 dangerous system calls (keyctl, bpf, mount, "
            "unshare...) and its AppArmor/SELinux profiles stop writes to `/proc` and `/sys` and mounts: these "
            "layers are what keeps many kernel bugs from becoming container escapes. `systempaths=unconfined` "
            "unmasks `/proc/kcore`, `/proc/sysrq-trigger` and similar. CIS Docker Benchmark 5.21 (seccomp), "
            "5.1 (AppArmor) and 5.2 (SELinux).",
            "example": "services:\n  app:\n    image: example/app:1\n    security_opt:\n      - seccomp:unconfined",
            "fix": "No automatic fix: find the system call or path the service needs and allow only that, with a "
            "custom seccomp profile (`seccomp:./profile.json`) or AppArmor profile.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.21", "5.1", "5.2")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf608_writable_root_fs",
        {
            "code": "HF608",
            "name": "writable-root-fs",
            "severity": "warning",
            "summary": "A compose service's root filesystem is writable (no `read_only: true`).",
            "what": "Reports services without an effective `read_only: true` (own, merged, or from a same-file "
            "`extends`), including an explicit `read_only: false`.",
            "why": "With a read-only root filesystem an attacker who gets code execution cannot drop tools, modify "
            "binaries or configuration, or persist across restarts; the application's legitimate writes are "
            "made explicit (volumes and tmpfs mounts). CIS Docker Benchmark 5.12.",
            "example": "services:\n  web:\n    image: nginx:1.27",
            "fix": "Adds `read_only: true` together with a `tmpfs:` list for every path the image is known to write\n"
            "outside its declared VOLUMEs (which Docker keeps writable as anonymous volumes):\n"
            "\n"
            "- nginx: `/tmp`, `/var/cache/nginx`, `/var/run`; nginx-unprivileged: `/tmp`;\n"
            "- postgres (postgis, timescaledb, pgvector): `/tmp`, `/var/run/postgresql`;\n"
            "- mysql: `/tmp`, `/var/run/mysqld`; mariadb: `/tmp`, `/run/mysqld`;\n"
            "- httpd: `/tmp`, `/usr/local/apache2/logs`;\n"
            "- redis, mongo, memcached, prometheus: `/tmp` (their data directories are VOLUMEs);\n"
            "- grafana: `/tmp`, `/var/log/grafana`, and only when `/var/lib/grafana` (its data, no VOLUME)\n"
            "  already has a volume.\n"
            "\n"
            "Paths already mounted (a volume or tmpfs at the path or a parent) are skipped; an existing\n"
            "`tmpfs` list is extended in its own style. The facts and their upstream sources are in\n"
            "`hardenify/knowledge/images.py`.\n"
            "\n"
            "The fix is not applied, and the finding says why, when the paths are unknown: images not listed\n"
            "above, images built from a Dockerfile, images whose writes upstream does not settle (rabbitmq,\n"
            "php, wordpress, nextcloud, Bitnami), linuxserver images (they rewrite /etc/passwd at start), and\n"
            "a data path without a volume. An explicit `read_only: false` is reported without a fix.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: a path the deployment writes beyond the image's own (an uploaded file, a plugin, a "
            "config generated by a custom entrypoint) fails with EROFS until it gets a volume or tmpfs "
            "mount.",
            "references": {"cis": ("5.12",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf609_service_runs_as_root",
        {
            "code": "HF609",
            "name": "service-runs-as-root",
            "severity": "warning",
            "summary": "A compose service runs as root: `user: root`/`0`, or no `user:` and an image that defaults to "
            "root.",
            "what": "Reports `user:` set to root (`root`, `0`, `0:0`, `root:root`, also as a `${VAR:-0}` default), "
            "and\n"
            "services without `user:` whose image runs as root:\n"
            "\n"
            "- pulled images, unless known to default to a non-root user (nginx-unprivileged, distroless\n"
            "  `:nonroot`, Chainguard, Bitnami, Grafana, Prometheus, Elastic, Keycloak, SQL Server...) or to\n"
            "  drop privileges in their entrypoint (postgres, mysql, mariadb, mongo, redis, rabbitmq...);\n"
            "- built images, when their Dockerfile can be read (inline or beside the compose file) and its\n"
            "  built stage ends without a non-root USER. Unreadable Dockerfiles are skipped (HF101 checks "
            "them).",
            "why": "Root in the container is root against the kernel: any container escape, kernel bug or writable "
            "host mount becomes host root, and the process can change everything in its own filesystem. A "
            "numeric non-root `user:` costs nothing for most services. CIS Docker Benchmark 4.1.",
            "example": "services:\n  api:\n    image: python:3.12-slim\n    command: python -m api\n    user: root",
            "fix": "No automatic fix: which user works depends on the image's file ownership. Set `user: "
            '"10001:10001"` (any unused numeric id; give it write access to its volumes) or add a USER to the '
            "Dockerfile; for nginx use nginxinc/nginx-unprivileged.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("4.1",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf610_exposed_database_port",
        {
            "code": "HF610",
            "name": "exposed-database-port",
            "severity": "warning",
            "summary": "A database or cache port is published on all host interfaces (no host IP, `0.0.0.0` or `::`).",
            "what": "Reports `ports:` entries without a specific host IP (short `[IP:][HOST:]CONTAINER[/proto]` and "
            "long `target`/`host_ip` syntax) of services running a database, cache or broker image (postgres, "
            "mysql, mariadb, mongo, redis, valkey, memcached, elasticsearch, opensearch, cassandra, rabbitmq, "
            "couchdb, neo4j, influxdb, clickhouse, SQL Server, Oracle, cockroach, etcd, zookeeper...), and "
            "entries of any service whose container port is one of their well-known ports (5432, 3306, 27017, "
            "6379, 11211, 9200, 9042, 5672, 15672...).",
            "why": "Docker publishes ports in front of the host firewall (it writes its own iptables rules), so "
            "`5432:5432` puts the database on every network the host is on, often with a default or weak "
            "password: exposed Redis, MongoDB and Elasticsearch instances are among the most common breaches. "
            "Other containers of the project reach it by service name without any published port. CIS Docker "
            "Benchmark 5.13.",
            "example": 'services:\n  db:\n    image: postgres:17\n    ports:\n      - "5432:5432"',
            "fix": 'Binds the port to the loopback interface: `"127.0.0.1:5432:5432"` (a port without host part '
            "becomes `127.0.0.1::5432`, `0.0.0.0:` becomes `127.0.0.1:`, `[::]:` becomes `[::1]:`), or adds "
            "`host_ip: 127.0.0.1` to the long syntax, keeping the entry's quoting. Better still: remove the "
            "published port if only other containers use it.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: clients on other hosts (or on the host through a non-loopback address) can no "
            "longer connect; containers on the project's networks are unaffected.",
            "references": {"cis": ("5.13",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf611_plaintext_secret_env",
        {
            "code": "HF611",
            "name": "plaintext-secret-env",
            "severity": "error",
            "summary": "A compose service's `environment:` holds a plaintext secret.",
            "what": "Reports `environment:` entries (mapping or `KEY=VALUE` list form, own or merged from an anchor)\n"
            "that hold a literal credential:\n"
            "\n"
            "- a secret-looking name (PASSWORD, PASSWD, PWD, SECRET, TOKEN, API_KEY, CREDENTIALS..., the "
            "same\n"
            "  names as HF301) with a literal value: any value for password names, key-like values for\n"
            "  names that are secret only through KEY/AUTH;\n"
            "- a `${VAR:-literal}` fallback to a literal secret;\n"
            "- a known token format (GitHub, GitLab, Slack, AWS, Stripe, OpenAI... tokens) or a password "
            "inside\n"
            "  a URL (`postgres://app:s3cret@db/app`) under any name.\n"
            "\n"
            "`${VAR}` interpolation, empty values, booleans, file paths and URLs without credentials are "
            "fine.\n"
            "Every value found is redacted from all output.",
            "why": "The compose file is committed, copied into CI logs and shared: every reader gets the credential. "
            "Environment variables also leak through `docker inspect`, `/proc/<pid>/environ`, crash reports "
            "and child processes. Compose secrets are files mounted at `/run/secrets/<name>` and never appear "
            "in the container's configuration.",
            "example": "services:\n"
            "  db:\n"
            "    image: postgres:17\n"
            "    environment:\n"
            "      POSTGRES_PASSWORD: s3cr3t-pa55",
            "fix": "For images whose entrypoint reads `<NAME>_FILE` (postgres, postgis, timescaledb, mysql, mariadb,\n"
            "mongo, wordpress, nextcloud, minio, Bitnami databases; `__FILE` for Grafana `GF_*` and Gitea\n"
            "`GITEA__*`): replaces `NAME: value` with `NAME_FILE: /run/secrets/<service>_<name>`, adds the\n"
            "secret to the service's `secrets:` and declares it at the top level as\n"
            "`<service>_<name>: {file: ./secrets/<service>_<name>.txt}`.\n"
            "\n"
            "The fix applies only when that file already exists beside the compose file and holds exactly\n"
            "the value (a trailing newline aside). Hardenify never writes a secret value to disk itself: a\n"
            "created file could be committed (a fleet PR commits every file a fix creates) or copied into\n"
            "images, and a reference to a file nobody creates stops `docker compose up`. So every\n"
            "`secrets: … file:` the fixed file references exists. Otherwise the finding says which file to\n"
            "create: mode 0600, owned by the uid the service reads it as (compose bind-mounts the file with\n"
            "its own owner and mode, and postgres, mysql... read it after dropping to uid 999), listed in\n"
            "`.gitignore` and `.dockerignore`; the next `fix --unsafe-fixes` then moves the variable. Other "
            "images cannot read a file: the finding stays, without a fix.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the value now comes from the file, so the file must travel with every deployment "
            "of the compose file. Entries merged from an anchor are moved only when no other service "
            "uses the anchor.",
            "references": {"cis": ("4.10",)},
            "kinds": ("compose",),
            "registers_secrets": True,
            "default_enabled": True,
        },
    ),
    (
        "hf612_missing_resource_limits",
        {
            "code": "HF612",
            "name": "missing-resource-limits",
            "severity": "info",
            "summary": "A compose service has no memory, CPU or PIDs limit.",
            "what": "Reports services missing any of: a memory limit (`mem_limit` or "
            "`deploy.resources.limits.memory`), a CPU limit (`cpus` or `deploy.resources.limits.cpus`) and a "
            "PIDs limit (`pids_limit` or `deploy.resources.limits.pids`); own, merged from an anchor, or from "
            "a same-file `extends`. The message lists what is missing.",
            "why": "Without limits one container can take all the host's memory (the kernel's OOM killer then picks "
            "any process, other containers included), all its CPU, or all its PIDs (a fork bomb stops every "
            "container and the host's daemons from starting processes). Limits turn a bug or a "
            "denial-of-service into a restart of one service. CIS Docker Benchmark 5.10, 5.11 and 5.28.",
            "example": "services:\n  worker:\n    image: example/worker:4",
            "fix": "Adds the missing limits. Memory and CPU go in the form the service already uses: under\n"
            '`deploy.resources.limits` (`memory: 512M`, `cpus: "1.0"`), created at the deepest level that\n'
            'exists, or as service-level `mem_limit: 512m`, `cpus: "1.0"` when the service already uses\n'
            "service-level keys and has no `deploy.resources.limits`. The PIDs limit is always the\n"
            "service-level `pids_limit: 256`, which compose v1 and v2 both accept (docker-compose 1.29\n"
            "rejects `deploy.resources.limits.pids`).\n"
            "\n"
            "Memory starts at 512M (2G for SQL Server, Elasticsearch, OpenSearch, Cassandra, ScyllaDB,\n"
            "ClickHouse and SonarQube; 1G for Neo4j, Logstash, Kibana, Keycloak and Jenkins) and is never\n"
            "below a heap or memory size the service configures: `-Xmx` (in `command`, `entrypoint` or any\n"
            "environment value such as `JAVA_OPTS`, `ES_JAVA_OPTS`, `JAVA_TOOL_OPTIONS`), "
            "`--max-old-space-size`\n"
            "(`NODE_OPTIONS`), redis `--maxmemory`, `--innodb-buffer-pool-size` and postgres "
            "`shared_buffers`.\n"
            "The limit is then the configured size plus half again (at least 256 MiB more), rounded up to\n"
            "whole MiB. When such a size comes from a variable (`-Xmx${HEAP}`), the memory limit is not\n"
            "added and the finding says why; CPU and PIDs limits still are.",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: the numbers are starting points, not measurements. A service that needs more "
            "memory is OOM-killed, more CPU is throttled, more processes or threads fails to fork: "
            "measure (`docker stats`) and adjust.",
            "references": {"cis": ("5.10", "5.11", "5.28")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf613_missing_healthcheck",
        {
            "code": "HF613",
            "name": "missing-healthcheck",
            "severity": "info",
            "summary": "A compose service has no health check (and its image declares none).",
            "what": "Reports services without `healthcheck:` (own, merged, or from a same-file `extends`) whose image "
            "is not known to declare a HEALTHCHECK: pulled images outside a short list of images that do "
            "(pihole, vaultwarden, jellyfin, uptime-kuma, node-red, gotenberg, immich-server), and built "
            "images whose Dockerfile (when it can be read) has no HEALTHCHECK in the built stage. An explicit "
            "`disable: true` is a decision and is not reported.",
            "why": "Without a health check Docker only knows whether the process exists: a deadlocked or half-started "
            "service looks healthy, `depends_on: condition: service_healthy` cannot wait for it, and nothing "
            "restarts or reports it. CIS Docker Benchmark 5.26 (4.6 for images).",
            "example": "services:\n  db:\n    image: postgres:17",
            "fix": "For images with a probe that works as shipped, adds a `healthcheck:` with `interval: 10s`,\n"
            "`timeout: 5s`, `retries: 5`, `start_period: 30s` and the test:\n"
            "\n"
            "- postgres (postgis, timescaledb, pgvector): `pg_isready -U $${POSTGRES_USER:-postgres}`;\n"
            "- redis: `redis-cli ping`; valkey: `valkey-cli ping`;\n"
            "- mysql: `mysqladmin ping -h 127.0.0.1`;\n"
            "- rabbitmq: `rabbitmq-diagnostics -q ping`;\n"
            "- mongo 6+: `mongosh --quiet --eval \"db.adminCommand('ping')\"`.\n"
            "\n"
            "Other services: write a probe for the application's own health endpoint.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: a service that takes longer than the start period, or that requires authentication "
            "for the probe (redis with `requirepass`), is marked unhealthy, and services waiting for it "
            "with `condition: service_healthy` do not start.",
            "references": {"cis": ("5.26", "4.6")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf614_latest_or_untagged_image",
        {
            "code": "HF614",
            "name": "latest-or-untagged-image",
            "severity": "warning",
            "summary": "A compose service pulls an image without a tag or with `:latest` (and without a digest).",
            "what": "Reports `image:` values of services (and of `x-` blocks they merge) with no tag or the `latest` "
            "tag and no digest; `${VAR:-default}` is checked with its default, and references that depend on "
            "a variable without default are skipped. Services with `build:` are skipped: their `image:` names "
            "what the build produces.",
            "why": "`latest` is whatever was pushed last: `docker compose pull` can silently jump a major version of "
            "a database or a web server, the running version cannot be told from the file, and a rollback has "
            "nothing to go back to.",
            "example": "services:\n  cache:\n    image: redis\n  web:\n    image: nginx:latest",
            "fix": "No automatic fix (choosing the version is a human decision): write a version tag (`redis:7.4`), "
            "then pin its digest with `hardenify pin` (HF615).",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"hadolint": ("DL3007",), "checkov": ("CKV_DOCKER_7",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf615_unpinned_service_image",
        {
            "code": "HF615",
            "name": "unpinned-service-image",
            "severity": "warning",
            "summary": "A compose `image:` is not pinned to a digest (`@sha256:…`).",
            "what": "Reports the `image:` of services without `build:` (written in the service or in the anchor it "
            "merges) that is written literally and has no digest: the references `hardenify pin` rewrites. "
            "References built from variables are skipped, as `pin` skips them (pin the value where the "
            "variable is set).",
            "why": "A tag is a moving pointer: the same `postgres:17` can be a different image tomorrow (a rebuild, a "
            "compromised publisher account, a registry mirror serving something else), so the deployment is "
            "neither reproducible nor verifiable. A digest names the exact bytes.",
            "example": "services:\n  db:\n    image: postgres:17",
            "fix": "Run `hardenify pin` (it resolves each tag against its registry and writes `postgres:17@sha256:…`, "
            "keeping the tag for readability and for `hardenify pin --update`). `hardenify fix` does not pin: "
            "it works offline.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf616_build_secrets_not_wired",
        {
            "code": "HF616",
            "name": "build-secrets-not-wired",
            "severity": "warning",
            "summary": "A service's Dockerfile mounts a build secret (`RUN --mount=type=secret,id=X`) that its "
            "`build.secrets` does not provide.",
            "what": "For services with `build:`, reads the Dockerfile (`dockerfile_inline`, or the file inside the "
            "compose file's directory tree, at most 1 MiB; nothing outside it, no URLs) and reports secret "
            "ids its RUN instructions mount (`id=`, or the `target=` file name) that are missing from "
            "`build.secrets` (short or long syntax). Without a readable Dockerfile nothing is reported.",
            "why": "`docker compose build` passes only the secrets listed in `build.secrets`. A missing one is "
            "mounted as nothing: the RUN step fails (`required=true`), or silently builds without the "
            "credential, which tempts people into the insecure workaround of a build ARG (stored in the image "
            "history).",
            "example": "services:\n  app:\n    build: .\n# Dockerfile: RUN --mount=type=secret,id=npm_token npm ci",
            "fix": "Adds the missing ids to `build.secrets` (turning `build: ./dir` into `build: {context: ./dir, "
            "secrets: [...]}` in block style), and declares each at the top level unless it is declared "
            "already, from the source the Dockerfile itself names: `environment: NPM_TOKEN` for "
            '`--mount=type=secret,id=npm_token,env=NPM_TOKEN` or `NPM_TOKEN="$(cat /run/secrets/npm_token)"` '
            "(else the id upper-cased), `file: ./<context>/<file>` for a credential file mounted with "
            "`target=`. All of a file's secrets are wired in one fix, and `hardenify fix` wires them in the "
            "same run that moves a Dockerfile's secret to a mount (the compose file is fixed against the "
            "Dockerfile as that run leaves it).",
            "fix_availability": "unsafe",
            "fix_safety": "Unsafe: the build now needs the environment variable (e.g. `export NPM_TOKEN=...` before "
            "`docker compose build`); change the top-level source to `file:` if the secret lives in a "
            "file.",
            "references": {},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf617_exposed_admin_port",
        {
            "code": "HF617",
            "name": "exposed-admin-port",
            "severity": "error",
            "summary": "SSH, the Docker API or an admin or debug port is published on all host interfaces.",
            "what": "Reports `ports:` entries without a specific host IP (short and long syntax, as HF610 reads them) "
            "whose container port is SSH (22), the Docker Engine API (2375, 2376), etcd (2379, 2380), Consul "
            "(8500), the kubelet (10250, 10255), the Kubernetes API (6443), Redis Commander (8081 on "
            "`rediscommander/redis-commander`), Adminer and phpMyAdmin (on their images), Java debug (JDWP "
            "5005), Node.js inspector (9229), Go's Delve (2345), debugpy (5678), Xdebug (9003), or the Docker "
            "registry / Portainer / Traefik dashboards on their images. Database ports are HF610's.",
            "why": "Docker publishes ports in front of the host firewall, so these ports are reachable from every "
            "network the host is on. Each one is remote code execution or full control for whoever reaches it: "
            "the Docker API without TLS is root on the host, a debugger port runs any code in the process, and "
            "admin consoles often ship with default credentials. CIS Docker Benchmark 5.8 (only needed ports) "
            "and 5.13.",
            "example": "services:\n"
            "  app:\n"
            "    image: example/app:1\n"
            "    ports:\n"
            '      - "9229:9229"\n'
            "  adminer:\n"
            "    image: adminer:4\n"
            "    ports:\n"
            "      - 8080:8080",
            "fix": 'No automatic fix: bind it to the loopback interface (`"127.0.0.1:9229:9229"`) for local '
            "debugging, or remove it and reach the service through an SSH tunnel or `docker exec`.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.8", "5.13")},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf618_dangerous_device",
        {
            "code": "HF618",
            "name": "dangerous-device",
            "severity": "error",
            "summary": "A compose service is given a host device that exposes memory, disks or the kernel.",
            "what": "Reports `devices:` entries (short `host[:container[:perms]]` and long `source:` syntax) whose "
            "host path is physical or kernel memory (`/dev/mem`, `/dev/kmem`, `/dev/port`), a disk or "
            "partition (`/dev/sd*`, `/dev/nvme*`, `/dev/vd*`, `/dev/xvd*`, `/dev/hd*`, `/dev/mmcblk*`, "
            "`/dev/dm-*`, `/dev/mapper/*`, `/dev/loop*`), `/dev/fuse`, `/dev/kvm`, or a device-mapper or loop "
            "control node. GPUs, serial ports, sound and video devices are not reported.",
            "why": "A container that can read `/dev/mem` or a raw disk reads the host's memory and every file on that "
            "disk, whatever the mount namespaces say; writing to them is host root. `/dev/fuse` and the "
            "loop/device-mapper controls let the container mount file systems, a common step of container "
            "escapes. CIS Docker Benchmark 5.17.",
            "example": "services:\n  agent:\n    image: example/agent:1\n    devices:\n      - /dev/sda:/dev/sda",
            "fix": "No automatic fix: give the service the one file or volume it needs instead of the device, or run "
            "the workload in a VM.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("5.17",)},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf619_metadata_endpoint",
        {
            "code": "HF619",
            "name": "metadata-endpoint",
            "severity": "warning",
            "summary": "`extra_hosts` or `dns` points at the cloud instance-metadata endpoint.",
            "what": "Reports `extra_hosts:` entries (list `host:ip` / `host=ip` and mapping syntax) and `dns:` "
            "servers that are the instance-metadata addresses of the clouds: `169.254.169.254` (AWS, GCP, "
            "Azure, OpenStack...), `169.254.170.2` (ECS task metadata), `fd00:ec2::254` (AWS IPv6) and "
            "`100.100.100.200` (Alibaba Cloud).",
            "why": "The metadata service hands out the host's cloud credentials (IAM role keys, service account "
            "tokens) to whoever asks. Giving it a friendly name inside a container, or using it as the "
            "resolver, makes it the path of least resistance for any SSRF in the application, which then leaks "
            "credentials of the whole instance.",
            "example": "services:\n"
            "  app:\n"
            "    image: example/app:1\n"
            "    extra_hosts:\n"
            '      - "metadata:169.254.169.254"',
            "fix": "No automatic fix: remove the entry. A service that needs its cloud identity should get scoped "
            "credentials (IRSA, workload identity, ECS task roles) instead of the instance's.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf620_secret_build_arg",
        {
            "code": "HF620",
            "name": "secret-build-arg",
            "severity": "warning",
            "summary": "A compose `build.args` entry passes a secret (TOKEN, PASSWORD, API_KEY...) to the build.",
            "what": "Reports `build: args:` entries (mapping and `NAME=value` list syntax) whose name looks like a "
            "secret, by the same name rules as HF301, whether the value is written in the file or comes from "
            "a variable (`NPM_TOKEN: ${NPM_TOKEN}`). A value written in the file is also redacted from every "
            "output. Names whose value is clearly not a credential (a `*_FILE` path, `*_KEY_ID`) follow "
            "HF301's exceptions.",
            "why": "Build arguments are not secret: every `ARG` a RUN uses is recorded in the image's history "
            "(`docker history --no-trunc`) and in provenance attestations, so the token ships with the image "
            "to everyone who can pull it. A literal value is also committed to the repository.",
            "example": "services:\n  web:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}",
            "fix": "No automatic fix here: pass it as a build secret (`build: secrets: [npm_token]` with a top-level "
            "`secrets: npm_token: environment: NPM_TOKEN`) and read it in the Dockerfile with `RUN "
            "--mount=type=secret,id=npm_token,env=NPM_TOKEN`; `hardenify fix` does the Dockerfile side (HF301) "
            "and wires `build.secrets` (HF616).",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {"cis": ("4.10",)},
            "kinds": ("compose",),
            "registers_secrets": True,
            "default_enabled": True,
        },
    ),
    (
        "hf621_compose_schema_invalid",
        {
            "code": "HF621",
            "name": "compose-schema-invalid",
            "severity": "error",
            "summary": "A compose file breaks the Compose Specification (unknown key, wrong type, duplicate entry).",
            "what": "Validates each document against the Compose Specification's JSON schema (shipped with hardenify, "
            "the one `docker compose` uses): unknown top-level or service keys, values of the wrong type, "
            "values outside an allowed set. Also reports what the schema cannot express: an `environment:` or "
            "`labels:` list that sets one name twice, and a service that mounts one secret or config at the "
            "same target twice. Keys repeated within one mapping are HF600's. Messages name keys and paths, "
            "never values.",
            "why": "`docker compose` validates the file before doing anything and refuses it with a schema error, so "
            "nothing in it is deployed; where it does not refuse (a name set twice with two values), one value "
            "silently wins and the file no longer says what runs.",
            "example": "services:\n"
            "  web:\n"
            "    image: nginx:1.27\n"
            "    environment:\n"
            "      - MODE=a\n"
            "      - MODE=b\n"
            "    restart_policy: always",
            "fix": "Remove the repeated entry, correct the key's spelling (`restart:`, not `restart_policy:`) or its "
            "type as the message says.",
            "fix_availability": "none",
            "fix_safety": "",
            "references": {},
            "kinds": ("compose",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
    (
        "hf701_unpinned_action",
        {
            "code": "HF701",
            "name": "unpinned-action",
            "severity": "error",
            "summary": "A workflow that `hardenify new` generated uses an action by tag or branch, not by commit SHA.",
            "what": "Reports every `uses:` in a GitHub Actions workflow written by `hardenify new --ci github` "
            "(recognised by its first line, `# generated by hardenify new`) whose ref is not a full "
            "40-character commit SHA, and every `docker://` image without a digest. Local actions (`./…`) are "
            "not reported. Workflows without that first line are not read at all: hardenify is not a general "
            "workflow linter.",
            "why": "A tag or branch is a pointer the action's owner (or whoever takes over their account) can move: "
            "the next run executes different code with the job's token, and the generated pipeline has "
            "`packages: write` and `id-token: write`, enough to push and sign a malicious image. A commit SHA "
            "names exactly the code that was reviewed.",
            "example": "# generated by hardenify new (hardenify 0.1.0, template 1).\n"
            "jobs:\n"
            "  image:\n"
            "    runs-on: ubuntu-latest\n"
            "    steps:\n"
            "      - uses: actions/checkout@v7.0.1",
            "fix": "Pin the commit the tag points to and keep the tag in a comment, which Renovate and Dependabot "
            "update together: `actions/checkout@<40-hex sha> # v7.0.1`.\n"
            "\n"
            "When the ref is exactly the release hardenify's own table knows "
            "(`hardenify/knowledge/actions.json`, with the source of each SHA), `hardenify fix --unsafe-fixes` "
            "writes that SHA and comment.",
            "fix_availability": "sometimes",
            "fix_safety": "Unsafe: the SHA comes from hardenify's table, recorded when the release was read; if the "
            "tag was moved since, the pinned code differs from what the tag runs today, so a reviewer "
            "should compare them. Declined (no fix) for any other ref, for a quoted value, and when the "
            "line already has a comment.",
            "references": {},
            "kinds": ("workflow",),
            "registers_secrets": False,
            "default_enabled": True,
        },
    ),
)
