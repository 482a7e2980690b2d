#!/usr/bin/env bash
# scriptbox set-up: system packages (Debian/Ubuntu, as root or with sudo), npm dependencies, build.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-requests/-bs4/-lxml: what extraction scripts fetch and parse pages with; curl, openssl and
# ca-certificates: clients and trust for granted network (tests make their CA with openssl);
# python3-ipykernel/-jupyter-client: the Jupyter kernel `npm run bench` measures sessions against.
SYSTEM_PACKAGES=(bubblewrap python3 python3-pandas python3-numpy python3-scipy python3-sklearn python3-matplotlib
  python3-requests python3-bs4 python3-lxml curl openssl ca-certificates python3-ipykernel python3-jupyter-client
  golang-go default-jdk-headless junit4 gcc g++ make ruby rustc cargo)
# The last line: the toolchains `scriptbox instrument` builds and tests instrumented trees with (doctor
# reports each; junit4 runs a vendored Java project's own tests).

say() { printf 'setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)). Install it and run this again."
  exit 1
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
else
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install these with your package manager, then run this again:"
    say "  bubblewrap, and Python 3 at /usr/bin/python3 with pandas, numpy, scipy, scikit-learn, matplotlib"
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    say "missing system packages: ${missing[*]}"
    say "run as root, or install them yourself: apt-get install ${missing[*]}"
    exit 1
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "installing npm dependencies"
# npm install, not npm ci: it honours package-lock.json, and npm ci rejects this npm's own lock files
# (platform-optional packages are left out of them; see npm/cli#4828).
npm install --no-audit --no-fund --loglevel=error
say "building"
npm run --silent build
say "done: try 'npx scriptbox doctor'"
