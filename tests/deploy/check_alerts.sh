#!/bin/bash
# deploy/prometheus/xdpguard-alerts.yml: promtool accepts the rules, every
# case in xdpguard-alerts.test.yml holds (each alert fires when it should
# and stays quiet on a healthy server), and every rule the README quotes
# under "Alerts" is the file's rule, word for word.
#   check_alerts.sh REPO_ROOT
# Exit 77 (skip) without promtool (Debian package prometheus) or PyYAML.
set -u
repo=${1:?usage: $0 REPO_ROOT}
rules=$repo/deploy/prometheus/xdpguard-alerts.yml
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}
[[ -x $PROMTOOL ]] || { echo "SKIP: '$PROMTOOL' is not installed (Debian package prometheus)"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: no PyYAML (Debian package python3-yaml)"; exit 77; }
failed=0

if "$PROMTOOL" check rules "$rules"; then echo "PASS: promtool check rules"; else echo "FAIL: promtool check rules"; failed=1; fi
# promtool resolves rule_files relative to the test file's directory.
if (cd "$(dirname "$rules")" && timeout 300 "$PROMTOOL" test rules xdpguard-alerts.test.yml); then
    echo "PASS: promtool test rules"
else
    echo "FAIL: promtool test rules"
    failed=1
fi

python3 - "$repo/README.md" "$rules" <<'PY' || failed=1
import re
import sys

import yaml

readme, rules_file = open(sys.argv[1]).read(), sys.argv[2]
section = readme.split("### Alerts", 1)[1].split("\n## ", 1)[0]
blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
quoted = [rule for block in blocks for group in block["groups"] for rule in group["rules"]]
rules = {rule["alert"]: rule for group in yaml.safe_load(open(rules_file))["groups"] for rule in group["rules"]}
bad = [rule["alert"] for rule in quoted if rules.get(rule["alert"]) != rule]
table = set(re.findall(r"^\| `(Xdpguard\w+)` \|", section, re.M))
ok = quoted and not bad and table == set(rules)
print(("PASS" if ok else "FAIL") + f": the README quotes {len(quoted)} rules as in the file"
      f" (differing: {bad}) and lists every alert (missing: {sorted(set(rules) - table)},"
      f" unknown: {sorted(table - set(rules))})")
sys.exit(0 if ok else 1)
PY
exit $failed
