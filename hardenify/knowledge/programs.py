"""Programs whose presence changes what a fix may do.

An image whose entrypoint starts as root and switches user itself (a privilege dropper, an init
system or supervisor, sshd) breaks under a `USER` line: the switch needs root. So does an image
that runs network tools needing CAP_NET_ADMIN. For those the right hardening is in compose or
Kubernetes (drop capabilities, `no-new-privileges`), not `USER`, and HF101 declines and says why.
"""

from __future__ import annotations

#: Programs that start as root and run a command as another user, with what they are.
#: Sources: tianon/gosu README; ncopa/su-exec README; util-linux setpriv(1), runuser(1), su(1);
#: runit chpst(8); skarnet s6-setuidgid; phusion/baseimage-docker `setuser`; s6
#: s6-applyuidgid; sudo(8) `-u`.
PRIVILEGE_DROPPERS: dict[str, str] = {
    "gosu": "gosu",
    "su-exec": "su-exec",
    "setpriv": "setpriv",
    "chpst": "chpst (runit)",
    "s6-setuidgid": "s6-setuidgid",
    "s6-applyuidgid": "s6-applyuidgid",
    "runuser": "runuser",
    "su": "su",
    "setuser": "setuser (phusion baseimage)",
    "sudo": "sudo",
}

#: Init systems and supervisors that start services as root and give each its own user.
#: Sources: just-containers/s6-overlay README (ENTRYPOINT ["/init"]); supervisord.org
#: (`user=` per program, "supervisord must start as root"); runit runsvdir(8); systemd(1);
#: phusion/baseimage-docker `my_init`.
SUPERVISORS: dict[str, str] = {
    "supervisord": "supervisord",
    "supervisorctl": "supervisord",
    "s6-svscan": "s6",
    "s6-supervise": "s6",
    "runsvdir": "runit",
    "runsv": "runit",
    "runit": "runit",
    "systemd": "systemd",
    "my_init": "my_init (phusion baseimage)",
}
#: `/init` as the entrypoint is s6-overlay's (just-containers/s6-overlay: "ENTRYPOINT ["/init"]").
S6_OVERLAY_INIT = "/init"
#: `/sbin/init`, `/lib/systemd/systemd`, `/usr/sbin/init`: a full init system (systemd or sysvinit).
INIT_PATHS = frozenset({"/sbin/init", "/usr/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd"})

#: Daemons that must start as root to serve other users. sshd(8): "sshd ... must be run as root"
#: (privilege separation forks an unprivileged child per login).
ROOT_DAEMONS: dict[str, str] = {
    "sshd": "sshd must start as root to switch to the user who logs in",
}

#: docker-in-docker: dockerd manages namespaces, cgroups and iptables (docs.docker.com, "Docker
#: in Docker" needs `--privileged`; the rootless variant is `docker:dind-rootless`).
DIND = (
    "docker-in-docker needs root (it manages namespaces, cgroups and iptables): run it only where a "
    "privileged container is acceptable, or use the rootless variant (`docker:dind-rootless`)"
)
_CRON = "cron must run as root to run each job as its user: run the job in its own container with a USER"
#: Main processes that must be root for what they do (not a user switch): with the advice.
#: Sources: cron(8) ("cron ... executes commands as the owner of the crontab"); bpftrace(8)
#: (needs CAP_BPF/CAP_SYS_ADMIN to attach probes).
ROOT_PROGRAMS: dict[str, str] = {
    "dockerd": DIND,
    "dockerd-entrypoint.sh": DIND,
    "dind": DIND,
    "cron": _CRON,
    "crond": _CRON,
    "bpftrace": "bpftrace needs root (CAP_BPF/CAP_SYS_ADMIN) to load its probes",
}

#: Network tools that need CAP_NET_ADMIN/CAP_NET_RAW (a root start) to do their job. Sources:
#: iptables(8) and nft(8) ("must be run as root"), openvpn(8) (creates a tun device, then may
#: drop with `--user`), pptp(8)/pppd(8), kismet (capture sources need root/suid helper),
#: wg-quick(8), ipvsadm(8), conntrack(8).
NETWORK_ROOT_TOOLS: dict[str, str] = {
    "iptables": "iptables",
    "ip6tables": "iptables",
    "iptables-restore": "iptables",
    "iptables-legacy": "iptables",
    "nft": "nftables",
    "openvpn": "openvpn",
    "pptp": "pptp",
    "pptpd": "pptpd",
    "pppd": "pppd",
    "kismet": "kismet",
    "kismet_server": "kismet",
    "wg-quick": "wg-quick",
    "ipvsadm": "ipvsadm",
    "conntrack": "conntrack",
}

#: Packages (apt/apk/dnf names) that install one of the programs above. An image that installs
#: one of them starts as root on purpose. Sources: the Debian and Alpine package indexes.
DROPPER_PACKAGES: dict[str, str] = {
    "gosu": "gosu",
    "su-exec": "su-exec",
    "supervisor": "supervisord",
    "python3-supervisor": "supervisord",
    "runit": "runit",
    "s6": "s6",
    "s6-overlay": "s6-overlay",
    "systemd": "systemd",
    "systemd-sysv": "systemd",
    "openssh-server": "sshd",
    "dropbear": "dropbear (sshd)",
}
NETWORK_ROOT_PACKAGES: dict[str, str] = {
    "iptables": "iptables",
    "ip6tables": "iptables",
    "nftables": "nftables",
    "ipvsadm": "ipvsadm",
    "conntrack": "conntrack",
    "conntrack-tools": "conntrack",
    "openvpn": "openvpn",
    "pptp-linux": "pptp",
    "pptpd": "pptpd",
    "ppp": "pppd",
    "kismet": "kismet",
    "wireguard-tools": "wg-quick",
    "libvirt-daemon": "libvirt",
    "libvirt-daemon-system": "libvirt",
    "libvirt-bin": "libvirt",
    "qemu-kvm": "qemu-kvm",
}
#: pip names of supervisors (`pip install supervisor`).
PIP_DROPPERS: dict[str, str] = {"supervisor": "supervisord"}


def root_starter(word: str) -> str | None:
    """What a program word (a path or a name) is, when running it needs a root start."""
    if word in (S6_OVERLAY_INIT,):
        return "s6-overlay (/init)"
    if word in INIT_PATHS:
        return f"an init system ({word})"
    base = word.rsplit("/", 1)[-1]
    for table in (PRIVILEGE_DROPPERS, SUPERVISORS, ROOT_DAEMONS, NETWORK_ROOT_TOOLS):
        if base in table:
            return table[base] if table is not ROOT_DAEMONS else base
    return None


def is_network_tool(word: str) -> bool:
    return word.rsplit("/", 1)[-1] in NETWORK_ROOT_TOOLS


# System package managers and the subcommands (or pacman's operation flags) that install
# packages. Source: each manager's manual (apt-get(8), apk(8), dnf(8), zypper(8), pacman(8)).
INSTALL_SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "apt-get": ("install",),
    "apt": ("install",),
    "aptitude": ("install",),
    "apk": ("add",),
    "yum": ("install",),
    "dnf": ("install",),
    "microdnf": ("install",),
    "tdnf": ("install",),
    "zypper": ("install", "in"),
    "pacman": ("-S", "-Sy", "-Syu", "--sync"),
}
