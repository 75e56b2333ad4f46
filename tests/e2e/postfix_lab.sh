# shellcheck shell=bash
# A real Postfix as the lab's mail server, and swaks as the senders, for
# tools/demo.sh. Source after lab.sh; after lab_init:
#
#   postfix_missing              # what the demo lacks, and why (exit 1: nothing)
#   postfix_require              # skip (77) or fail without postfix and swaks
#   postfix_start                # Postfix on port 25 (IPv4 and IPv6) in the server namespace
#   swaks_send ROLE ADDR NAME    # one message from ROLE's namespace to [ADDR]:25;
#                                # SWAKS_RC, SWAKS_OUT, SWAKS_QUEUE_ID, SWAKS_MSGID
#   postfix_delivered MSGID      # 0 once Postfix logged the message delivered (at most 5 s)
#   postfix_log_count TEXT       # lines of Postfix's log that contain TEXT
#
# The instance is Postfix's own, started with `postfix -c DIR start-fg`: its
# main.cf, master.cf, queue, data directory, log file (maillog_file, written
# by postlogd, no syslog needed) and mailboxes are all under
# $LAB_TMP/postfix, so it neither needs nor touches /etc/postfix or a
# host-wide Postfix. It accepts mail for example.test and delivers every
# message into one Maildir (virtual(8), as user nobody). lab_cleanup stops
# it with the server namespace's other processes.

POSTFIX=${POSTFIX:-/usr/sbin/postfix}
SWAKS=${SWAKS:-/usr/bin/swaks}
SWAKS_TIMEOUT=${SWAKS_TIMEOUT:-3}  # seconds for the connection and each SMTP step
POSTFIX_DOMAIN=example.test

# postfix_other_mta: the installed mail server other than Postfix (a package
# that provides mail-transport-agent, e.g. exim4-daemon-light), if any.
postfix_other_mta() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
        awk '$1 == "ii" && $2 != "postfix" && /mail-transport-agent/ { print $2; exit }'
}

# postfix_missing: says what the demo lacks and why (status 0), or nothing
# (status 1) if Postfix, swaks and swaks' IPv6 module are all installed.
postfix_missing() {
    local tool missing=() mta list
    for tool in "$POSTFIX" "$SWAKS"; do [[ -x $tool ]] || missing+=("$tool"); done
    perl -MIO::Socket::INET6 -e 1 2>/dev/null || missing+=("IO::Socket::INET6 (swaks over IPv6)")
    ((${#missing[@]})) || return 1
    list=$(printf '%s, ' "${missing[@]}")
    list=${list%, }
    mta=$(postfix_other_mta)
    if [[ -n $mta && ! -x $POSTFIX ]]; then
        echo "not installed: $list. tools/setup.sh does not install Postfix here because" \
            "another mail server, $mta, is installed and Postfix would replace it. To run the demo," \
            "use a machine without a mail server, or replace $mta yourself:" \
            "apt install postfix swaks libio-socket-inet6-perl"
    else
        echo "not installed: $list (Debian packages postfix, swaks," \
            "libio-socket-inet6-perl; tools/setup.sh installs them)"
    fi
}

postfix_require() {
    local reason
    if reason=$(postfix_missing); then lab_skip_or_fail "$reason"; fi
    getent passwd postfix >/dev/null ||
        lab_skip_or_fail "no 'postfix' user: the postfix package is not configured (dpkg --configure postfix)"
}

# postfix_config DIR: main.cf and master.cf of the lab's instance.
postfix_config() {
    local dir=$1 nobody
    nobody=$(id -u nobody) || lab_die "no user 'nobody' for the mailboxes"
    cat >"$dir/etc/main.cf" <<EOF
# The xdpguard lab's mail server: accepts mail for $POSTFIX_DOMAIN only.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$POSTFIX_DOMAIN
mydomain = $POSTFIX_DOMAIN
mydestination =
inet_interfaces = all
inet_protocols = all
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP Postfix (xdpguard lab)
# The lab has no DNS server for clients' names and no route out.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
virtual_mailbox_domains = $POSTFIX_DOMAIN
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$nobody
virtual_gid_maps = static:$nobody
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
EOF
    # No chroot: the queue is not under a chroot jail's /etc.
    cat >"$dir/etc/master.cf" <<'EOF'
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

postfix_start() {
    POSTFIX_DIR=$LAB_TMP/postfix
    POSTFIX_LOG=$POSTFIX_DIR/maillog
    mkdir -p "$POSTFIX_DIR"/{etc,queue,data,mail} || lab_die "cannot create $POSTFIX_DIR"
    # Postfix's daemons (users postfix, nobody) must reach their directories.
    if ! chmod 711 "$LAB_TMP" || ! chmod 755 "$POSTFIX_DIR" ||
        ! chown postfix "$POSTFIX_DIR/data" || ! chown nobody "$POSTFIX_DIR/mail"; then
        lab_die "cannot hand $POSTFIX_DIR to users postfix and nobody"
    fi
    postfix_config "$POSTFIX_DIR"
    "$POSTFIX" -c "$POSTFIX_DIR/etc" check >"$POSTFIX_DIR/check.out" 2>&1 ||
        lab_die "postfix check: $(cat "$POSTFIX_DIR/check.out")"
    # start-fg: the master stays in the foreground, so the lab tracks it.
    lab_in_background server "$POSTFIX" -c "$POSTFIX_DIR/etc" start-fg >"$POSTFIX_DIR/master.out" 2>&1
    POSTFIX_PID=$LAB_BG_PID
    local i
    for ((i = 0; i < 100; i++)); do
        lab_connect server 127.0.0.1 25 0.5 >/dev/null 2>&1 && return 0
        kill -0 "$POSTFIX_PID" 2>/dev/null || break
        sleep 0.1
    done
    lab_die "Postfix does not answer on port 25: $(cat "$POSTFIX_DIR/master.out" "$POSTFIX_LOG" 2>&1)"
}

# swaks_send ROLE ADDR NAME: sends one message, Message-Id
# <NAME.LAB_ID@ROLE.example.net>, from ROLE's namespace to [ADDR]:25.
# Returns swaks' exit status: 0 delivered to Postfix, 2 no connection.
swaks_send() {
    local role=$1 addr=$2 name=$3
    SWAKS_MSGID=$name.$LAB_ID@$role.example.net
    SWAKS_OUT=$(timeout -k 2 $((SWAKS_TIMEOUT * 6 + 5)) nsenter --net="/run/netns/$(lab_ns "$role")" -- \
        "$SWAKS" --server "$addr" --port 25 --timeout "$SWAKS_TIMEOUT" \
        --helo "$role.example.net" --from "$role@example.net" --to "postmaster@$POSTFIX_DOMAIN" \
        --header "Subject: $name from the $role" --header "Message-Id: <$SWAKS_MSGID>" \
        --body "xdpguard lab: $name" 2>&1)
    SWAKS_RC=$?
    # shellcheck disable=SC2034  # read by the caller
    SWAKS_QUEUE_ID=$(sed -n 's/.*250 2\.0\.0 Ok: queued as \([0-9A-F]*\).*/\1/p' <<<"$SWAKS_OUT")
    return "$SWAKS_RC"
}

postfix_log_count() { grep -cF -- "$1" "$POSTFIX_LOG" 2>/dev/null; }

# postfix_delivered MSGID: Postfix logged the message's id and its delivery
# into the mailbox.
postfix_delivered() {
    local i queue_id
    for ((i = 0; i < 50; i++)); do
        queue_id=$(sed -n "s/.* \([0-9A-F]*\): message-id=<${1//./\\.}>.*/\1/p" "$POSTFIX_LOG" 2>/dev/null)
        [[ -n $queue_id ]] && grep -q " $queue_id: to=<.*status=sent (delivered to maildir)" "$POSTFIX_LOG" &&
            return 0
        sleep 0.1
    done
    return 1
}
