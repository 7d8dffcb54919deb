#!/usr/bin/env bash
# Plans every synthesized stack in dependency order and writes a Markdown summary
# to $1. A stack whose upstream stack has never been applied cannot be planned
# (its terraform_remote_state has no outputs yet); that is reported, not hidden.
set -uo pipefail
summary="$1"
cd cdktf.out/stacks
echo "### terraform plan (\`${CLUSTER_CONFIG}\`)" > "$summary"
status=0
for stack in $(python3 -c 'import json; m=json.load(open("../manifest.json"))["stacks"]; done=[]
def visit(s):
    [visit(d) for d in m[s]["dependencies"] if d not in done]
    s in done or done.append(s)
[visit(s) for s in sorted(m)]; print(" ".join(done))'); do
  echo "::group::$stack"
  if terraform -chdir="$stack" init -input=false -no-color > "/tmp/$stack.init" 2>&1 &&
     terraform -chdir="$stack" plan -input=false -no-color -lock-timeout=5m -detailed-exitcode -out=tfplan > "/tmp/$stack.plan" 2>&1; then
    result="no changes"
  else
    code=$?
    if [ "$code" -eq 2 ]; then result="changes"; else result="failed (exit $code)"; status=1; fi
  fi
  echo "::endgroup::"
  {
    echo "<details><summary><b>$stack</b>: $result</summary>"
    echo
    echo '```'
    grep -E '^(Plan:|No changes|Error|  [#~+-] )' "/tmp/$stack.plan" "/tmp/$stack.init" 2>/dev/null | cut -d: -f2- | head -200
    echo '```'
    echo "</details>"
  } >> "$summary"
done
exit $status
