#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds it from the install rules; it holds
# the binary, the unit, the man page, and the config and the fail2ban filter
# as conffiles; its
# dependencies are computed; what it installs runs and renders; the unit
# verifies; the maintainer scripts never enable or start the service. Also
# `cmake --install` elsewhere: the unit follows the prefix, an edited config
# is kept, the fail2ban filter is installed.
#
# usage: deb_test.sh BUILD_DIR
set -euo pipefail

build_dir=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d /tmp/xdpguard-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

step() { echo "--- $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
require_line() {  # require_line FILE REGEX WHAT
  grep -Eq -- "$2" "$1" || fail "$3 (no line matching '$2' in $(basename "$1"))"
}
for tool in cpack dpkg-deb dpkg-shlibdeps file; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/setup.sh installs it)"
done

step "cpack -G DEB"
# cpack first builds the whole tree (its "preinstall" target): run it after
# `cmake --build`, and a build error shows up here.
if ! (cd "$build_dir" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  tail -n 40 "$work"/out/_CPack_Packages/*/DEB/PreinstallOutput.log 2>/dev/null >&2 || true
  fail "cpack -G DEB failed"
fi
debs=("$work"/out/xdpguard_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "expected one xdpguard_*.deb, got: ${debs[*]}"
deb=${debs[0]}
echo "$(basename "$deb"), $(stat -c %s "$deb") bytes"

step "control: dpkg-deb -I"
dpkg-deb -I "$deb" >"$work/info"
dpkg-deb -e "$deb" "$work/control"
cat "$work/control/control"
require_line "$work/control/control" '^Package: xdpguard$' "package name"
require_line "$work/control/control" '^Section: net$' "section"
require_line "$work/control/control" '^Version: [0-9]' "version"
require_line "$work/control/control" '^Depends: .*libbpf1' "Depends from dpkg-shlibdeps"
require_line "$work/control/control" '^Depends: .*libc6' "Depends from dpkg-shlibdeps"
tr -s '\n ' '  ' <"$work/control/control" | grep -q 'does not enable or start the service' ||
  fail "the description does not say the service is left disabled"
[[ -f $work/control/conffiles ]] || fail "no conffiles"
require_line "$work/control/conffiles" '^/etc/xdpguard/xdpguard\.toml$' "config is a conffile"
require_line "$work/control/conffiles" '^/etc/fail2ban/filter\.d/xdpguard\.conf$' "the fail2ban filter is a conffile"
for script in postinst prerm postrm; do
  [[ -x $work/control/$script ]] || fail "$script missing or not executable"
done
require_line "$work/control/postinst" 'systemctl .*daemon-reload' "postinst reloads systemd"
if grep -v '^ *echo' "$work/control/postinst" | grep -Eq 'systemctl( +-[-a-z]+)* +(enable|start|restart)( |$)'; then
  fail "postinst enables or starts the service"
fi

step "contents: dpkg-deb -c"
dpkg-deb -c "$deb" | tee "$work/contents"
for path in ./usr/sbin/xdpguard ./usr/lib/systemd/system/xdpguard.service \
  ./etc/xdpguard/xdpguard.toml ./etc/fail2ban/filter.d/xdpguard.conf ./usr/share/man/man8/xdpguard.8.gz; do
  grep -Eq " $path\$" "$work/contents" || fail "$path is not in the package"
done
grep -Eq '^-rwxr-xr-x root/root .* ./usr/sbin/xdpguard$' "$work/contents" || fail "binary not 0755 root:root"
grep -Eq '^-rw-r--r-- root/root .* ./etc/fail2ban/filter.d/xdpguard.conf$' "$work/contents" ||
  fail "the fail2ban filter is not 0644 root:root"

step "installed files: dpkg -x"
root=$work/root
dpkg -x "$deb" "$root"
binary=$root/usr/sbin/xdpguard
unit=$root/usr/lib/systemd/system/xdpguard.service
man_page=$root/usr/share/man/man8/xdpguard.8.gz
f2b_filter=$root/etc/fail2ban/filter.d/xdpguard.conf
! ldd "$binary" | grep 'not found' || fail "the binary needs libraries that are not installed"
"$binary" --help >"$work/help" || fail "xdpguard --help failed"
require_line "$work/help" '^Usage: xdpguard ' "xdpguard --help prints usage"
version=$(sed -n 's/^Version: //p' "$work/control/control")
"$binary" version | grep -Fq "xdpguard $version" || fail "xdpguard version does not say $version"
require_line "$unit" '^ExecStart=/usr/sbin/xdpguard run --config /etc/xdpguard/xdpguard\.toml$' "unit runs the packaged binary"
cmp -s "$f2b_filter" "$here/../../packaging/fail2ban/xdpguard.conf" || fail "the packaged fail2ban filter is not packaging/fail2ban/xdpguard.conf"
require_line "$f2b_filter" '^\[Definition\]$' "fail2ban filter section"
require_line "$f2b_filter" '^failregex = xdpguard: denied SYN from <HOST> ' "fail2ban failregex"
require_line "$f2b_filter" '^journalmatch = _SYSTEMD_UNIT=xdpguard\.service$' "fail2ban journalmatch"
if command -v fail2ban-regex >/dev/null; then
  # The filter as installed, on the README's sample line (the e2e test
  # daemon.sh runs it on a real drop log).
  sample='2026-11-23T12:44:23.110Z xdpguard: denied SYN from 198.51.100.2 port 34794 to port 25 on eth0 vlan 0 (dropped)'
  [[ $(fail2ban-regex -o ip "$sample" "$f2b_filter" 2>&1) == 198.51.100.2 ]] ||
    fail "fail2ban-regex finds no 198.51.100.2 in the sample drop record"
fi
# shellcheck disable=SC2016 # $MAINPID is literal text in the unit
for line in '^Type=notify$' '^ExecReload=/bin/kill -HUP \$MAINPID$' '^Restart=on-failure$' \
  '^After=network-online\.target$' '^Wants=network-online\.target$' \
  '^Before=postfix\.service exim4\.service$' \
  '^CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_SYS_ADMIN$' \
  '^NoNewPrivileges=yes$' '^ProtectSystem=strict$' '^ReadWritePaths=/sys/fs/bpf$' \
  '^MemoryDenyWriteExecute=yes$'; do
  require_line "$unit" "$line" "unit setting"
done

step "man page"
gzip -t "$man_page" || fail "man page is not valid gzip"
if command -v man >/dev/null; then
  MANWIDTH=200 man --warnings -l "$man_page" >"$work/man.txt" 2>"$work/man.warn" || fail "man -l failed"
elif command -v groff >/dev/null; then
  zcat "$man_page" | groff -man -ww -Tascii -P-cbu -rLL=200n >"$work/man.txt" 2>"$work/man.warn" ||
    fail "groff failed"
else
  fail "neither man nor groff is installed (packages man-db, groff-base)"
fi
[[ ! -s $work/man.warn ]] || { cat "$work/man.warn" >&2; fail "the man page renders with warnings"; }
for heading in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS CONFIGURATION 'EXIT STATUS' \
  ENVIRONMENT FILES SIGNALS EXAMPLES 'SEE ALSO'; do
  grep -qx "$heading" "$work/man.txt" || fail "the man page has no $heading section"
done
grep -q 'XDPGUARD_PIN_DIR' "$work/man.txt" || fail "the man page does not describe XDPGUARD_PIN_DIR"
grep -Fq "xdpguard $version" "$work/man.txt" || fail "the man page does not carry version $version"
python3 "$here/man_covers_help.py" "$binary" "$work/man.txt" || fail "the man page and --help disagree"

step "systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  # The unit as installed, pointed at the extracted binary; MANPATH lets the
  # Documentation= check find the extracted man page.
  mkdir "$work/unit"
  sed "s#^ExecStart=/usr/sbin/xdpguard #ExecStart=$binary #" "$unit" >"$work/unit/xdpguard.service"
  MANPATH=$root/usr/share/man systemd-analyze verify "$work/unit/xdpguard.service" >"$work/verify" 2>&1 ||
    { cat "$work/verify" >&2; fail "systemd-analyze verify failed"; }
  [[ ! -s $work/verify ]] || { cat "$work/verify" >&2; fail "systemd-analyze verify warns"; }
  echo "verified"
else
  echo "systemd-analyze not installed: unit not verified (package systemd)"
fi

step "maintainer scripts, with systemd running (a stub systemctl records the calls)"
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
  mkdir -p "$work/stub"
  printf '#!/bin/sh\necho "$*" >>"%s"\n' "$work/systemctl.log" >"$work/stub/systemctl"
  chmod +x "$work/stub/systemctl"
  # A private /run holding /run/systemd/system makes the scripts believe
  # systemd is PID 1.
  # shellcheck disable=SC2016 # expanded by the inner bash
  unshare -m bash -c '
    set -e
    mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system
    export PATH="$1:$PATH"
    sh "$2/postinst" configure "" >/dev/null
    echo "-- upgrade" >>"$3"
    sh "$2/postinst" configure 0.0.1 >/dev/null' _ "$work/stub" "$work/control" "$work/systemctl.log"
  cat "$work/systemctl.log"
  fresh=$(sed '/^-- upgrade$/,$d' "$work/systemctl.log")
  [[ $fresh == "--system daemon-reload" ]] || fail "a fresh install must only daemon-reload, ran: $fresh"
  grep -qx 'try-restart xdpguard.service' "$work/systemctl.log" ||
    fail "an upgrade must try-restart a running daemon"
else
  echo "not root: maintainer scripts not exercised"
fi

step "cmake --install with another prefix"
stage=$work/stage
mkdir -p "$stage/etc/xdpguard"
echo '# the admin edited this' >"$stage/etc/xdpguard/xdpguard.toml"
DESTDIR=$stage cmake --install "$build_dir" --prefix /opt/xg >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }
[[ -x $stage/opt/xg/sbin/xdpguard ]] || fail "cmake --install put no binary in PREFIX/sbin"
require_line "$stage/opt/xg/lib/systemd/system/xdpguard.service" '^ExecStart=/opt/xg/sbin/xdpguard run ' \
  "the unit follows the install prefix"
[[ $(cat "$stage/etc/xdpguard/xdpguard.toml") == '# the admin edited this' ]] ||
  fail "cmake --install overwrote an existing /etc/xdpguard/xdpguard.toml"
[[ -f $stage/opt/xg/share/man/man8/xdpguard.8.gz ]] || fail "cmake --install put no man page"
[[ -f $stage/etc/fail2ban/filter.d/xdpguard.conf ]] || fail "cmake --install put no fail2ban filter"

echo "PASS: $(basename "$deb")"
