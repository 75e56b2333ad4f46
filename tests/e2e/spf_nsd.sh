#!/bin/bash
# e2e: SPF against a real DNS server. An NSD in the server namespace serves
# example.test on 127.0.0.1; `spf flatten` turns its records into exactly the
# expected prefixes (split strings, includes, redirect, a: with many
# addresses, first match wins), refuses what cannot be flattened or breaks
# the lookup limit, and `allow import-spf` keeps source spf:DOMAIN in step
# with the zone: the gateway is let in when its range appears and shut out
# when it goes. When the DNS server hangs or is gone, the imported set stays.
set -u
# shellcheck source=SCRIPTDIR/lab.sh
source "$(dirname "${BASH_SOURCE[0]}")/lab.sh"
# shellcheck source=SCRIPTDIR/nsd_lab.sh
source "$LAB_DIR/nsd_lab.sh"
lab_init "${1:?usage: $0 XDPGUARD}"
nsd_require
lab_up

ZONE=example.test

# --- the DNS server ---------------------------------------------------------

# nsd_zone SERIAL MAIL RELAY: prints the zone; MAIL and RELAY are the SPF
# records of mail.example.test and relay.example.test, the names that
# `allow import-spf` follows while the zone changes.
nsd_zone() {
    local serial=$1 mail=$2 relay=$3 i
    {
        nsd_zone_head "$serial"
        cat <<EOF

; one record in two strings: joined without a separator (RFC 7208 3.3)
flat       TXT "v=spf1 ip4:192.0.2.0/24 " "ip4:198.51.100.0/25 -all"
fanout     TXT "v=spf1 include:v6only.$ZONE include:noall.$ZONE include:flat.$ZONE -all"
v6only 120 TXT "v=spf1 ip6:2001:db8:10::/48 -all"
noall      TXT "v=spf1 ip4:203.0.113.0/28"
deep       TXT "v=spf1 include:d1.$ZONE -all"
d1         TXT "v=spf1 ip4:203.0.113.101 include:d2.$ZONE -all"
d2         TXT "v=spf1 ip4:203.0.113.102 include:d3.$ZONE -all"
d3         TXT "v=spf1 ip4:203.0.113.103 include:d4.$ZONE -all"
d4         TXT "v=spf1 ip4:203.0.113.104 include:d5.$ZONE -all"
d5         TXT "v=spf1 ip4:203.0.113.105 -all"
redir      TXT "v=spf1 redirect=flat.$ZONE"
many       TXT "v=spf1 a:hosts.$ZONE -all"
manycidr   TXT "v=spf1 a:hosts.$ZONE/28 -all"
firstmatch TXT "v=spf1 -ip4:192.0.2.5 ip4:192.0.2.0/24 -all"
notpass    TXT "v=spf1 ?ip4:192.0.2.0/24 ~ip4:198.51.100.0/24 ip4:192.0.2.0/23 ~all"
viacname   CNAME flat.$ZONE.
onevoid    TXT "v=spf1 a:missing.$ZONE ip4:198.51.100.200 -all"
macro      TXT "v=spf1 exists:%{i}.bl.$ZONE -all"
ptr        TXT "v=spf1 ptr -all"
plusall    TXT "v=spf1 ip4:192.0.2.0/24 +all"
ten        TXT "v=spf1 include:l1.$ZONE include:l2.$ZONE include:l3.$ZONE include:l4.$ZONE include:l5.$ZONE include:l6.$ZONE include:l7.$ZONE include:l8.$ZONE include:l9.$ZONE include:l10.$ZONE -all"
eleven     TXT "v=spf1 include:ten.$ZONE include:l11.$ZONE -all"
mail       TXT "$mail"
relay      TXT "$relay"
; hostile: a CNAME loop, and records that would let in the whole Internet
loop1      CNAME loop2.$ZONE.
loop2      CNAME loop1.$ZONE.
world4     TXT "v=spf1 ip4:0.0.0.0/0 -all"
world6     TXT "v=spf1 ip6:::/0 -all"
EOF
        for ((i = 1; i <= 12; i++)); do echo "hosts      A   203.0.113.$i"; done
        # l1..l11: one /32 each, never adjacent, so nothing merges.
        for ((i = 1; i <= 11; i++)); do
            echo "l$i         TXT \"v=spf1 ip4:203.0.113.$((100 + 2 * i)) -all\""
        done
    }
}

# --- xdpguard ---------------------------------------------------------------

# allow_list_rows: `allow list` without the header, for before/after compares.
allow_list_rows() { xg allow list | tail -n +2; }

# sources_of PREFIX: the SOURCES column of `allow list` for PREFIX.
sources_of() {
    xg allow list | awk -v p="$1" '$1 == p { print $4; found = 1 } END { exit !found }'
}

# spf_prefixes DOMAIN: the prefixes of source spf:DOMAIN in `allow list`.
spf_prefixes() {
    xg allow list | awk -v s="spf:$1" '{ n = split($4, src, ","); for (i = 1; i <= n; i++) if (src[i] == s) print $1 }' |
        tr '\n' ' ' | sed 's/ $//'
}

# spf_flatten_is DOMAIN SUMMARY PREFIX...: `spf flatten DOMAIN` succeeds and
# prints exactly these prefixes, in this order, then SUMMARY.
spf_flatten_is() {
    local domain=$1 summary=$2
    shift 2
    lab_check_xg_exit "spf flatten $domain" 0 spf flatten "$domain" "${DNS[@]}"
    [[ $XG_RC -eq 0 ]] || return
    lab_check_eq "$domain: prefixes" "$(grep -v '^#' <<<"$XG_OUT" | tr '\n' ' ' | sed 's/ $//')" "$*"
    lab_check_eq "$domain: summary" "$(grep '^#' <<<"$XG_OUT")" "$summary"
}

# spf_flatten_refused DOMAIN NEEDLE...: fails, and the message has each NEEDLE.
spf_flatten_refused() {
    local domain=$1 needle
    shift
    lab_check_xg_exit "spf flatten $domain is refused" 1 spf flatten "$domain" "${DNS[@]}"
    echo "      $XG_ERR"
    for needle in "$@"; do lab_check_contains "the message names '$needle'" "$XG_ERR" "$needle"; done
}

# --- the tests --------------------------------------------------------------

MAIL_V1="v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/64 include:relay.$ZONE -all"
MAIL_NO_GW="v=spf1 include:relay.$ZONE -all"
RELAY_V1="v=spf1 ip4:198.51.100.128/25 ip4:203.0.113.64/26 -all"
RELAY_V2="v=spf1 ip4:198.51.100.128/25 ip4:203.0.113.32/27 -all"

lab_step "NSD serves $ZONE on 127.0.0.1 in the server namespace"
nsd_start 1 "v=spf1 -all" "$RELAY_V1"
DNS=(--dns-server "127.0.0.1:$NSD_PORT")
echo "      NSD pid $NSD_PID, port $NSD_PORT"
lab_check_eq "a split TXT record arrives as one" "$(dns_probe "flat.$ZONE" TXT)" \
    "TXT v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/25 -all"
lab_check_eq "twelve A records for hosts.$ZONE" "$(dns_probe "hosts.$ZONE" A | wc -l)" 12

lab_step "spf flatten: exactly the addresses that pass"
spf_flatten_is "flat.$ZONE" "# 2 prefixes, 0 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    192.0.2.0/24 198.51.100.0/25
spf_flatten_is "fanout.$ZONE" "# 4 prefixes, 3 of 10 DNS lookups, 0 void, smallest TTL 120 s" \
    192.0.2.0/24 198.51.100.0/25 203.0.113.0/28 2001:db8:10::/48
spf_flatten_is "deep.$ZONE" "# 3 prefixes, 5 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    203.0.113.101/32 203.0.113.102/31 203.0.113.104/31
spf_flatten_is "redir.$ZONE" "# 2 prefixes, 1 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    192.0.2.0/24 198.51.100.0/25
spf_flatten_is "many.$ZONE" "# 5 prefixes, 1 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    203.0.113.1/32 203.0.113.2/31 203.0.113.4/30 203.0.113.8/30 203.0.113.12/32
spf_flatten_is "manycidr.$ZONE" "# 1 prefixes, 1 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    203.0.113.0/28
spf_flatten_is "firstmatch.$ZONE" "# 8 prefixes, 0 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    192.0.2.0/30 192.0.2.4/32 192.0.2.6/31 192.0.2.8/29 \
    192.0.2.16/28 192.0.2.32/27 192.0.2.64/26 192.0.2.128/25
spf_flatten_is "notpass.$ZONE" "# 1 prefixes, 0 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    192.0.3.0/24
spf_flatten_is "viacname.$ZONE" "# 2 prefixes, 0 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    192.0.2.0/24 198.51.100.0/25
spf_flatten_is "onevoid.$ZONE" "# 1 prefixes, 1 of 10 DNS lookups, 1 void, smallest TTL 300 s" \
    198.51.100.200/32
spf_flatten_is "ten.$ZONE" "# 10 prefixes, 10 of 10 DNS lookups, 0 void, smallest TTL 300 s" \
    203.0.113.102/32 203.0.113.104/32 203.0.113.106/32 203.0.113.108/32 203.0.113.110/32 \
    203.0.113.112/32 203.0.113.114/32 203.0.113.116/32 203.0.113.118/32 203.0.113.120/32

lab_step "spf flatten refuses what no prefix list can express, and the 11th lookup"
spf_flatten_refused "macro.$ZONE" "exists:%{i}.bl.$ZONE"
spf_flatten_refused "ptr.$ZONE" "ptr"
spf_flatten_refused "plusall.$ZONE" "+all"
spf_flatten_refused "eleven.$ZONE" "permerror" "more than 10 DNS lookups"
spf_flatten_refused "nothing.$ZONE" "nothing.$ZONE"

lab_step "enforcing with a manual prefix only: the gateway is shut out"
lab_check_xg_exit "allow add 203.0.113.200/32" 0 allow add 203.0.113.200/32
lab_check_xg_exit "attach --enforce" 0 attach "$LAB_IF_SRV_GW" "$LAB_IF_SRV_SP" --enforce
lab_check_fails "gateway -> [$LAB_SRV_GW4]:25 times out" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "import-spf: the provider's record lists the gateway's ranges"
lab_check "zone serial 2: mail.$ZONE lists the gateway" nsd_reload 2 "$MAIL_V1" "$RELAY_V1"
lab_check_xg_exit "allow import-spf mail.$ZONE --dry-run" 0 allow import-spf "mail.$ZONE" "${DNS[@]}" --dry-run
lab_check_contains "the dry run's plan" "$XG_OUT" "spf:mail.$ZONE: +4 -0 =0 (dry run: nothing changed)"
lab_check_eq "nothing imported by the dry run" "$(spf_prefixes "mail.$ZONE")" ""
lab_check_xg_exit "allow import-spf mail.$ZONE" 0 allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the plan adds four" "$XG_OUT" "spf:mail.$ZONE: +4 -0 =0"
lab_check_eq "allow list: the spf:mail.$ZONE prefixes" "$(spf_prefixes "mail.$ZONE")" \
    "192.0.2.0/24 198.51.100.128/25 203.0.113.64/26 2001:db8:1::/64"
lab_check_eq "203.0.113.200/32 is still manual" "$(sources_of 203.0.113.200/32)" manual
lab_check "gateway -> [$LAB_SRV_GW4]:25" lab_connect gateway "$LAB_SRV_GW4" 25
lab_check "gateway -> [$LAB_SRV_GW6]:25" lab_connect gateway "$LAB_SRV_GW6" 25
lab_check_xg_exit "check $LAB_GW4" 0 check "$LAB_GW4"
lab_check_contains "check: allowed by the SPF prefix" "$XG_OUT" "allowed by 192.0.2.0/24"
lab_check_fails "spammer -> [$LAB_SRV_SP4]:25 times out" lab_connect spammer "$LAB_SRV_SP4" 25

lab_step "the zone changes: import-spf adds and removes"
lab_check "zone serial 3: relay.$ZONE moves a range" nsd_reload 3 "$MAIL_V1" "$RELAY_V2"
lab_check_xg_exit "allow import-spf mail.$ZONE" 0 allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the plan: one in, one out" "$XG_OUT" "spf:mail.$ZONE: +1 -1 =3"
lab_check_contains "the plan adds 203.0.113.32/27" "$XG_OUT" "+ 203.0.113.32/27"
lab_check_contains "the plan removes 203.0.113.64/26" "$XG_OUT" "- 203.0.113.64/26"
lab_check_eq "allow list follows the zone" "$(spf_prefixes "mail.$ZONE")" \
    "192.0.2.0/24 198.51.100.128/25 203.0.113.32/27 2001:db8:1::/64"
lab_check_xg_exit "the same import again changes nothing" 0 allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the plan: nothing to do" "$XG_OUT" "spf:mail.$ZONE: +0 -0 =4"

lab_step "a broken record or an emptied one changes nothing"
lab_check "zone serial 4: mail.$ZONE includes eleven.$ZONE" nsd_reload 4 \
    "v=spf1 include:relay.$ZONE include:eleven.$ZONE -all" "$RELAY_V2"
before=$(allow_list_rows)
lab_check_xg_exit "allow import-spf mail.$ZONE (over the lookup limit)" 1 \
    allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the message says the set is unchanged" "$XG_ERR" \
    "the previously imported set of spf:mail.$ZONE is unchanged"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
lab_check "zone serial 5: mail.$ZONE allows nothing" nsd_reload 5 "v=spf1 -all" "$RELAY_V2"
lab_check_xg_exit "allow import-spf mail.$ZONE (would empty the source)" 2 \
    allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the refusal mentions --allow-shrink" "$XG_ERR" "--allow-shrink"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"

lab_step "hostile records are refused with a clear message and change nothing"
before=$(allow_list_rows)
spf_import_refused() {
    local domain=$1 needle
    shift
    lab_check_xg_exit "allow import-spf $domain is refused" 1 allow import-spf "$domain" "${DNS[@]}"
    echo "      $XG_ERR"
    for needle in "$@"; do lab_check_contains "the message names '$needle'" "$XG_ERR" "$needle"; done
    lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
}
spf_import_refused "loop1.$ZONE" "CNAME loop" "loop1.$ZONE"
spf_import_refused "world4.$ZONE" "0.0.0.0/0" "broader than /8"
spf_import_refused "world6.$ZONE" "::/0" "broader than /16"

lab_step "the gateway's ranges leave the record: it is shut out again"
lab_check "zone serial 6: mail.$ZONE without the gateway" nsd_reload 6 "$MAIL_NO_GW" "$RELAY_V2"
lab_check_xg_exit "allow import-spf mail.$ZONE" 0 allow import-spf "mail.$ZONE" "${DNS[@]}"
lab_check_contains "the plan removes two" "$XG_OUT" "spf:mail.$ZONE: +0 -2 =2"
lab_check_eq "allow list follows the zone" "$(spf_prefixes "mail.$ZONE")" \
    "198.51.100.128/25 203.0.113.32/27"
lab_check_fails "gateway -> [$LAB_SRV_GW4]:25 times out" lab_connect gateway "$LAB_SRV_GW4" 25

lab_step "the DNS server hangs, then is gone: the imported set stays"
lab_check "zone serial 7: mail.$ZONE lists the gateway again" nsd_reload 7 "$MAIL_V1" "$RELAY_V2"
before=$(allow_list_rows)
nsd_signal STOP
lab_check_fails "NSD does not answer while stopped" dns_probe "$ZONE" SOA
started=$SECONDS
lab_check_xg_exit "allow import-spf mail.$ZONE (NSD stopped)" 1 allow import-spf "mail.$ZONE" "${DNS[@]}"
echo "      gave up after $((SECONDS - started)) s: $XG_ERR"
nsd_signal CONT
lab_check_contains "the message says the set is unchanged" "$XG_ERR" \
    "the previously imported set of spf:mail.$ZONE is unchanged"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
nsd_stop
lab_check_eq "no NSD process left" "$(nsd_pids)" ""
lab_check_fails "NSD is gone" dns_probe "$ZONE" SOA
started=$SECONDS
lab_check_xg_exit "allow import-spf mail.$ZONE (NSD gone)" 1 allow import-spf "mail.$ZONE" "${DNS[@]}"
echo "      gave up after $((SECONDS - started)) s: $XG_ERR"
lab_check_contains "the message says the set is unchanged" "$XG_ERR" \
    "the previously imported set of spf:mail.$ZONE is unchanged"
lab_check_eq "allow list unchanged" "$(allow_list_rows)" "$before"
lab_check_eq "spf:mail.$ZONE still listed" "$(spf_prefixes "mail.$ZONE")" \
    "198.51.100.128/25 203.0.113.32/27"

lab_finish
