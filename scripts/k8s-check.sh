#!/usr/bin/env bash
# Builds every kustomize overlay under k8s/overlays and checks the result offline:
#   1. `kubectl kustomize` must build it;
#   2. kubernetes-validate (PyPI) must accept every resource against the Kubernetes schema in
#      strict mode (unknown fields are errors; a kind it has no schema for is an error too);
#   3. k8s/policy_check.py must find no policy problem (non-root, read-only root, gRPC probes,
#      grace period, HPA/PDB per service, default-deny and no allow-all NetworkPolicy …).
# Prints one line per overlay and a summary; exits non-zero if any overlay fails.
#
# Usage: scripts/k8s-check.sh            (KUBERNETES_VERSION=1.36.0 to check another version)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
k8s_dir="$repo_root/k8s"
# The newest version kubernetes-validate ships schemas for; move it up with the package.
kubernetes_version="${KUBERNETES_VERSION:-1.37.0}"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "k8s-check: kubectl is not installed (it builds the overlays with its built-in kustomize)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The validator works offline once installed: its schemas ship inside the package. A Python that
# refuses global installs (PEP 668, "externally managed") gets a private virtualenv instead.
python=python3
pip_install() {
  if ! "$python" -m pip install --quiet --disable-pip-version-check "$@" 2>"$work/pip.log"; then
    local venv="${XDG_CACHE_HOME:-$HOME/.cache}/frontline/k8s-check-venv"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    python="$venv/bin/python"
    "$python" -m pip install --quiet --disable-pip-version-check "$@"
  fi
}
if command -v kubernetes-validate >/dev/null 2>&1; then
  validate=(kubernetes-validate)
else
  pip_install kubernetes-validate
  validate=("$python" -m kubernetes_validate)
fi
# The policy check needs PyYAML (a dependency of kubernetes-validate, unless that lives elsewhere).
if ! "$python" -c 'import yaml' >/dev/null 2>&1; then
  pip_install pyyaml
fi

indent() { sed 's/^/    /'; }

passed=0
failed=0
for overlay_dir in "$k8s_dir"/overlays/*/; do
  [ -f "$overlay_dir/kustomization.yaml" ] || continue
  overlay="$(basename "$overlay_dir")"
  built="$work/$overlay.yaml"

  if ! kubectl kustomize "$overlay_dir" >"$built" 2>"$work/$overlay.build"; then
    echo "FAIL $overlay: kubectl kustomize failed"
    indent <"$work/$overlay.build"
    failed=$((failed + 1))
    continue
  fi
  count="$(grep -c '^kind:' "$built" || true)"

  # --quiet prints only warnings and errors, so any output at all is a failure.
  if ! "${validate[@]}" --strict --quiet -k "$kubernetes_version" "$built" >"$work/$overlay.schema" 2>&1 \
    || [ -s "$work/$overlay.schema" ]; then
    echo "FAIL $overlay: $count resources, schema validation (Kubernetes $kubernetes_version, strict) failed"
    indent <"$work/$overlay.schema"
    failed=$((failed + 1))
    continue
  fi

  if ! "$python" "$k8s_dir/policy_check.py" <"$built" >"$work/$overlay.policy" 2>&1; then
    echo "FAIL $overlay: $count resources, schema ok, policy check failed"
    indent <"$work/$overlay.policy"
    failed=$((failed + 1))
    continue
  fi

  echo "ok   $overlay: $count resources, schema ok (Kubernetes $kubernetes_version, strict), policy ok"
  passed=$((passed + 1))
done

total=$((passed + failed))
if [ "$total" -eq 0 ]; then
  echo "k8s-check: no overlays found under $k8s_dir/overlays"
  exit 1
fi
echo "k8s-check: $passed of $total overlays passed"
[ "$failed" -eq 0 ]
