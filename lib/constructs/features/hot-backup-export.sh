#!/bin/sh
# shellcheck disable=SC2086 # $CURL_TLS ("--cacert <file>" or "--insecure") is split into words on purpose; nothing else is unquoted
set -eu
url="$SCHEME://$TARGET:$PORT"
headers() { printf 'apikey: %s\npassword: %s\n' "$(cat /secrets/apikey)" "$(cat /secrets/password)"; }
i=0; until curl -fs $CURL_TLS -o /dev/null "$url/readyz"; do i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "$url not ready"; exit 1; }; sleep 5; done
headers | curl -fs $CURL_TLS -H @- -o /backup/config.zip.part "$url/admin/export/v2"
mv /backup/config.zip.part /backup/config.zip
date -u > /backup/export.done
echo "exported the configuration of $url"
