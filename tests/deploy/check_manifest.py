#!/usr/bin/python3
"""Checks deploy/kubernetes/xdpguard.yaml holds what deploy/README.md says.

    check_manifest.py REPO_ROOT

Every YAML file under deploy/ parses. The DaemonSet runs in the host's
network namespace with CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN,
mounts the host's bpffs at /sys/fs/bpf and the ConfigMap where its start
script reads it, and carries Prometheus scrape annotations for the port the
config listens on. The start script, run for an IPv4 and an IPv6 pod
address, renders a TOML config whose settings are all ones that
packaging/xdpguard.toml documents. Exit 0 if all holds, 1 if not, 77 (skip)
without PyYAML (Debian package python3-yaml).
"""
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

try:
    import yaml
except ImportError:
    print("SKIP: no PyYAML (Debian package python3-yaml)")
    sys.exit(77)

FAILURES = []


def check(what, ok):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        FAILURES.append(what)


def documented_settings(example):
    """{table: {key}} of packaging/xdpguard.toml, commented-out defaults included."""
    settings, table = {"": set()}, ""
    for line in example.read_text().splitlines():
        line = line.lstrip("#").strip()
        if match := re.fullmatch(r"\[([a-z_]+)\]", line):
            table = match.group(1)
            settings.setdefault(table, set())
        elif match := re.match(r"([a-z_]+) = ", line):
            settings[table].add(match.group(1))
    return settings


def render(script, config_text, pod_ip):
    """Runs the container's start script with its paths moved to a temporary
    directory and `xdpguard run --config` replaced by cat: the rendered TOML."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "etc").mkdir()
        (root / "run").mkdir()
        (root / "etc/xdpguard.toml").write_text(config_text)
        moved = (script.replace("/etc/xdpguard/", f"{root}/etc/")
                       .replace("/run/xdpguard/", f"{root}/run/")
                       .replace("/usr/sbin/xdpguard run --config", "cat"))
        done = subprocess.run(["/bin/sh", "-c", moved], env={"POD_IP": pod_ip, "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        return done.stdout


def main():
    repo = pathlib.Path(sys.argv[1])
    for path in sorted((repo / "deploy").rglob("*.y*ml")):
        try:
            list(yaml.safe_load_all(path.read_text()))
            check(f"{path.relative_to(repo)} parses", True)
        except yaml.YAMLError as err:
            check(f"{path.relative_to(repo)} parses: {err}", False)

    docs = {d["kind"]: d for d in yaml.safe_load_all((repo / "deploy/kubernetes/xdpguard.yaml").read_text())}
    check("the manifest has a Namespace, a ConfigMap and a DaemonSet",
          {"Namespace", "ConfigMap", "DaemonSet"} <= docs.keys())
    pod = docs["DaemonSet"]["spec"]["template"]
    spec = pod["spec"]
    (container,) = spec["containers"]
    check("hostNetwork: XDP attaches to the node's interfaces", spec.get("hostNetwork") is True)
    caps = container["securityContext"]["capabilities"]
    check("capabilities: BPF, PERFMON, NET_ADMIN, SYS_ADMIN added, all others dropped",
          set(caps["add"]) == {"BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN"} and caps["drop"] == ["ALL"])
    check("not privileged", container["securityContext"].get("privileged") is False)

    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    bpffs = mounts.get("/sys/fs/bpf")
    check("the host's /sys/fs/bpf is mounted at /sys/fs/bpf",
          bpffs is not None and volumes[bpffs["name"]].get("hostPath", {}).get("path") == "/sys/fs/bpf")
    config_mount = mounts.get("/etc/xdpguard")
    config_map = docs["ConfigMap"]
    check("the ConfigMap is mounted at /etc/xdpguard",
          config_mount is not None and
          volumes[config_mount["name"]].get("configMap", {}).get("name") == config_map["metadata"]["name"])
    check("ConfigMap and DaemonSet share a namespace",
          config_map["metadata"]["namespace"] == docs["DaemonSet"]["metadata"]["namespace"])
    selector = docs["DaemonSet"]["spec"]["selector"]["matchLabels"]
    check("the selector matches the pod's labels", selector.items() <= pod["metadata"]["labels"].items())

    script = container["args"][0]
    check("the start script reads /etc/xdpguard/xdpguard.toml", "/etc/xdpguard/xdpguard.toml" in script)
    known = documented_settings(repo / "packaging/xdpguard.toml")
    for pod_ip, listen in (("198.51.100.7", "198.51.100.7:9433"), ("2001:db8::7", "[2001:db8::7]:9433")):
        config = tomllib.loads(render(script, config_map["data"]["xdpguard.toml"], pod_ip))
        check(f"pod IP {pod_ip}: metrics listen on {listen}", config["metrics"]["listen"] == listen)
    unknown = []
    for name, value in config.items():
        if isinstance(value, dict):
            unknown += [f"{name}.{key}" for key in value if key not in known.get(name, set())]
        elif name not in known[""]:
            unknown.append(name)
    check(f"every setting is documented in packaging/xdpguard.toml (unknown: {unknown})", not unknown)

    annotations = pod["metadata"]["annotations"]
    port = config["metrics"]["listen"].rsplit(":", 1)[1]
    check("Prometheus scrape annotations name the metrics port and path",
          annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") == port and
          annotations.get("prometheus.io/path") == "/metrics")
    check("the container declares the metrics port",
          any(str(p["containerPort"]) == port for p in container.get("ports", [])))

    print(f"{len(FAILURES)} failed" if FAILURES else "all deploy manifest checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
