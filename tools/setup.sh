#!/usr/bin/env bash
# Installs xdpguard's build and test dependencies from Debian 12 packages.
# Idempotent: apt runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config      # C++20 toolchain
  clang llvm linux-libc-dev             # BPF target and UAPI headers
  libbpf-dev bpftool libelf-dev zlib1g-dev  # loader and skeletons
  libcli11-dev catch2 prometheus-cpp-dev    # CLI, tests, metrics
  libldns-dev                           # DNS client for SPF import
  libtomlplusplus-dev libsystemd-dev    # daemon: config file, sd_notify
  file dpkg-dev groff-base man-db       # packaging: cpack DEB, man page check
  prometheus nsd                        # real Prometheus and DNS servers for e2e tests
  iproute2 util-linux python3 procps    # namespace labs (ip, nsenter)
  nftables ethtool curl                 # tools/bench: the nftables baseline, NIC settings
  python3-yaml                          # deploy/ manifest check
  fail2ban                              # fail2ban-regex on the drop log (the service is not used)
)
# tools/demo.sh: a real mail server and SMTP client. Installed apart, and
# never at the cost of removing a package: Postfix replaces any other mail
# server (exim4, ...) that is installed.
demo_packages=(postfix swaks libio-socket-inet6-perl)  # the last: swaks over IPv6

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for pkg in "${packages[@]}"; do installed "$pkg" || missing+=("$pkg"); done
demo_missing=()
for pkg in "${demo_packages[@]}"; do installed "$pkg" || demo_missing+=("$pkg"); done

if ((${#missing[@]} + ${#demo_missing[@]})) && [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]} ${demo_missing[*]}; run as root to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_install() {
  ((updated)) || apt-get update -qq
  updated=1
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
  # The tests run only fail2ban-regex; the fail2ban service that Debian
  # enables and starts on install (with an sshd jail) is not wanted here.
  if [[ " ${missing[*]} " == *" fail2ban "* && -d /run/systemd/system ]]; then
    echo "setup: fail2ban installed for fail2ban-regex only: disabling its service"
    systemctl disable --now fail2ban.service >/dev/null 2>&1 || true
  fi
fi
if ((${#demo_missing[@]})); then
  echo "setup: installing ${demo_missing[*]} (for tools/demo.sh)"
  # Postfix installs unconfigured: no /etc/postfix/main.cf, so no host-wide
  # mail system is set up or started. tools/demo.sh runs its own instance
  # from a temporary directory, inside a network namespace.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  if ! apt_install --no-remove "${demo_missing[@]}"; then
    echo "setup: ${demo_missing[*]} not installed: it would remove a package (another mail" \
         "server?); tools/demo.sh needs them, nothing else does" >&2
  fi
fi
# systemd mounts the BPF filesystem at boot; a minimal system or a container
# may not, and the tests, the demo and the bench keep their pins there.
if [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) != bpf_fs && $(id -u) -eq 0 ]]; then
  echo "setup: mounting the BPF filesystem on /sys/fs/bpf"
  mount -t bpf -o mode=0700 bpf /sys/fs/bpf
fi
echo "setup: all build and test dependencies present"
