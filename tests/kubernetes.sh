#!/usr/bin/env bash
# Renders every kustomization under deploy/kubernetes with `kubectl kustomize`, where a kubectl that can is installed;
# the .NET tests (Deploy/KubernetesManifestTests) then check the rendered objects' invariants the same way. Called by
# tests/run-all.sh. Nothing is installed: the only kubectl the package registries here offer is Debian bookworm's
# kubernetes-client 1.20, whose kustomize v2.0.3 cannot render a folder listed under `resources:` (v4 or later can).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubernetes: skipped: kubectl is not installed (Debian's kubernetes-client 1.20 bundles kustomize v2.0.3, too old for these kustomizations)"
  exit 0
fi
major=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\).*/\1/p')
if [ "${major:-0}" -lt 4 ]; then
  echo "kubernetes: skipped: kubectl's kustomize is older than v4: $(kubectl version --client 2>&1 | tr '\n' ' ')"
  exit 0
fi

status=0
while IFS= read -r kustomization; do
  dir=$(dirname "$kustomization")
  if out=$(kubectl kustomize "$dir" 2>&1); then
    echo "kubernetes: rendered $dir ($(grep -c '^kind:' <<<"$out") objects)"
  else
    echo "kubernetes: kubectl kustomize $dir failed:" >&2
    echo "$out" >&2
    status=1
  fi
done < <(find deploy/kubernetes -name kustomization.yaml | sort)
exit $status
