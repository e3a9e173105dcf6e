"""Stand-in for ONAP's multisite kubeconfig writer (org.onap.dcaegen2.deployments.multisite-init-container).

The same protocol as the real one: with the Kubernetes Python client's in-cluster configuration (the API
address from KUBERNETES_SERVICE_HOST / _PORT, the token and CA under
/var/run/secrets/kubernetes.io/serviceaccount) it builds a kubeconfig with one cluster and one context
named --location (the current context) and one user named --user holding that token, and patches it into
key --key of the existing ConfigMap --configmap in --namespace. Patch is its only API call.
"""
import argparse
import base64
import sys

import yaml
from kubernetes import client, config

TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def main():
    parser = argparse.ArgumentParser()
    for arg in ("namespace", "location", "user", "configmap", "key"):
        parser.add_argument(f"--{arg}", required=True)
    args = parser.parse_args()

    config.load_incluster_config()
    server = client.Configuration.get_default_copy().host
    with open(f"{TOKEN_DIR}/token") as f:
        token = f.read().strip()
    with open(f"{TOKEN_DIR}/ca.crt", "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": args.location, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": args.user, "user": {"token": token}}],
        "contexts": [{"name": args.location, "context": {"cluster": args.location, "user": args.user, "namespace": args.namespace}}],
        "current-context": args.location,
    }
    client.CoreV1Api().patch_namespaced_config_map(args.configmap, args.namespace, {"data": {args.key: yaml.safe_dump(kubeconfig)}})
    print(f"wrote the kubeconfig of {server} for {args.user} to configmap {args.namespace}/{args.configmap} key {args.key}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
