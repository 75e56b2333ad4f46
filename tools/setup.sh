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
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all build and test dependencies present"
