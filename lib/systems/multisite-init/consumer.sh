#!/bin/sh
trap 'exit 0' TERM
until [ -s "$KUBECONFIG" ]; do echo "waiting for $KUBECONFIG"; sleep 5 & wait $!; done
echo "kubeconfig present at $KUBECONFIG"
while :; do sleep 3600 & wait $!; done
