#!/bin/sh
# shellcheck disable=SC2086 # $CURL_TLS ("--cacert <file>" or "--insecure") is split into words on purpose; nothing else is unquoted
set -eu
url="$SCHEME://$TARGET:$PORT"
headers() { printf 'apikey: %s\npassword: %s\n' "$(cat /secrets/apikey)" "$(cat /secrets/password)"; }
# A name that still does not resolve after three tries (curl's exit 6) means nothing is deployed yet: Argo CD
# runs this Job on the first sync too, before the release's Services exist. Nothing to export; the marker
# export.none tells the import so.
i=0; unresolved=0
until rc=0; curl -fs $CURL_TLS -o /dev/null "$url/readyz" || rc=$?; [ "$rc" -eq 0 ]; do
  if [ "$rc" -eq 6 ]; then unresolved=$((unresolved+1)); else unresolved=0; fi
  [ "$unresolved" -ge 3 ] && { date -u > /backup/export.none; echo "nothing deployed at $url yet: nothing to export"; exit 0; }
  i=$((i+5)); [ "$i" -ge "$WAIT_SECONDS" ] && { echo "$url not ready"; exit 1; }; sleep 5
done
rm -f /backup/export.none
headers | curl -fs $CURL_TLS -H @- -o /backup/config.zip.part "$url/admin/export/v2"
mv /backup/config.zip.part /backup/config.zip
date -u > /backup/export.done
echo "exported the configuration of $url"
