#!/usr/bin/env bash
# Accepts the current public surface of a library into its PublicAPI.Shipped.txt (after a deliberate API change).
# Usage: eng/update-public-api.sh src/TokenGovernor
set -euo pipefail
dir="$1"
out=$(dotnet build "$dir" --no-incremental 2>&1 || true)
removed=$(grep -o "RS0017: Symbol '[^']*'" <<<"$out" | sed "s/RS0017: Symbol '//; s/'$//" | sort -u || true)
added=$(grep -o "RS0016: Symbol '[^']*'" <<<"$out" | sed "s/RS0016: Symbol '//; s/'$//" | sort -u || true)
{
  echo '#nullable enable'
  { grep -v '^#nullable' "$dir/PublicAPI.Shipped.txt" | grep -v -F -x -f <(printf '%s\n' "$removed") || true; printf '%s\n' "$added"; } | sed '/^$/d' | sort -u
} > "$dir/PublicAPI.Shipped.txt.new"
mv "$dir/PublicAPI.Shipped.txt.new" "$dir/PublicAPI.Shipped.txt"
echo "updated $dir/PublicAPI.Shipped.txt: +$(printf '%s' "$added" | grep -c . || true) -$(printf '%s' "$removed" | grep -c . || true)"
