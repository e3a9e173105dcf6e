#!/bin/sh
set -eu
wait_seconds=${WAIT_SECONDS:-120}
err=$(mktemp)
trap 'rm -f "$err"' EXIT
fields='{.metadata.resourceVersion}{"\n"}{.metadata.annotations.chart-as-code/generate}{"\n"}{.data}'
value_of() { for kv in $data; do case $kv in "$1="*) printf '%s' "${kv#*=}"; return 0;; esac; done; return 1; }
# The value of a key, decoded; fails when the key is missing or empty.
present() { stored=$(value_of "$1") && [ -n "$stored" ] && printf '%s' "$stored" | base64 -d; }
# Whether a new value $1 has exactly $3 characters, all from the tr-style set $2.
whole() { [ "${#1}" -eq "$3" ] && case $1 in *[!$2]*) return 1;; esac; }
random() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2"; }
fill() {
  name=$1; waited=0; conflicts=0
  while :; do
    if ! state=$(kubectl get secret "$name" -o "jsonpath=$fields" 2>"$err"); then
      if grep -q NotFound "$err" && [ "$waited" -lt "$wait_seconds" ]; then sleep 2; waited=$((waited + 2)); continue; fi
      echo "$name: $(cat "$err")" >&2; return 1
    fi
    rv=$(printf '%s\n' "$state" | sed -n 1p)
    spec=$(printf '%s\n' "$state" | sed -n 2p)
    # {"key":"base64",...}: keys and base64 values hold no quote, colon or comma.
    data=$(printf '%s\n' "$state" | sed -n 3p | sed 's/^{//; s/}$//; s/"//g; s/:/=/g; s/,/ /g')
    if [ -z "$spec" ]; then
      echo "$name: left alone: it has no chart-as-code/generate annotation, so this chart did not create it (set existingSecret to use your own Secret)" >&2
      return 1
    fi
    patch=''; report=''
    # Split by the shell itself: a failing tr here would silently make the list empty.
    items=$spec,
    while [ -n "$items" ]; do
      item=${items%%,*}; items=${items#*,}
      key=${item%%:*}; rest=${item#*:}; charset=${rest%%:*}; length=${rest#*:}
      case $charset in alphanumeric) alphabet='A-Za-z0-9';; numeric) alphabet='0-9';; *) echo "$name: unknown charset $charset for $key" >&2; return 1;; esac
      if kept=$(present "$key"); then
        if [ "${#kept}" -lt "$length" ]; then
          echo "$name: refused: $key is shorter than $length characters; delete the key to have it generated, or give it in the values" >&2
          return 1
        fi
        report="$report kept $key;"
      elif present "previous.$key" >/dev/null; then
        patch="$patch\"$key\":\"$(value_of "previous.$key")\","; report="$report restored $key from the previous chart version;"
      else
        value=$(random "$alphabet" "$length") || value=''
        if ! whole "$value" "$alphabet" "$length" || ! encoded=$(printf '%s' "$value" | base64 | tr -d '\n'); then
          echo "$name: could not generate $key: the random source gave no $length characters of $charset; nothing written" >&2
          exit 1
        fi
        patch="$patch\"$key\":\"$encoded\","; report="$report generated $key;"
      fi
      if value_of "previous.$key" >/dev/null; then patch="$patch\"previous.$key\":null,"; fi
    done
    if [ -z "$patch" ]; then echo "$name:$report"; return 0; fi
    body="{\"metadata\":{\"resourceVersion\":\"$rv\"},\"data\":{${patch%,}}}"
    # On stdin (printf is built in): the values never reach a process's arguments.
    if printf '%s' "$body" | kubectl patch secret "$name" --type merge --patch-file /dev/stdin >/dev/null 2>"$err"; then echo "$name:$report"; return 0; fi
    if grep -q Conflict "$err" && [ "$conflicts" -lt 10 ]; then conflicts=$((conflicts + 1)); continue; fi
    echo "$name: $(cat "$err")" >&2; return 1
  done
}
status=0
for name in "$@"; do fill "$name" || status=1; done
exit $status
