#!/bin/sh
# shellcheck disable=SC2086 # $CURL_TLS ("--cacert <file>" or "--insecure") is split into words on purpose; nothing else is unquoted
set -eu
url="$SCHEME://$TARGET:$PORT"
headers() { printf 'apikey: %s\npassword: %s\n' "$(cat /secrets/apikey)" "$(cat /secrets/password)"; }
i=0; until [ -f /backup/export.done ] || [ -f /backup/export.none ]; do i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "no export to import"; exit 1; }; sleep 5; done
if [ ! -f /backup/export.done ]; then rm -f /backup/export.none; echo "nothing was exported (a first deploy): nothing to import"; exit 0; fi
i=0; until curl -fs $CURL_TLS -o /dev/null "$url/readyz"; do i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "$url not ready"; exit 1; }; sleep 5; done
headers | curl -fs $CURL_TLS -X POST -H "Content-Type: application/octet-stream" -H @- --data-binary @/backup/config.zip "$url/admin/import/v2"
rm -f /backup/export.done
echo "imported the configuration into $url"
