#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt from the analyzer's RS0016/RS0017 diagnostics.
set -euo pipefail
cd "$(dirname "$0")"
printf '#nullable enable\n' > PublicAPI.Unshipped.txt
dotnet build --no-incremental -p:TreatWarningsAsErrors=false 2>&1 \
  | grep -o "RS0016: Symbol '[^']*'" | sed "s/RS0016: Symbol '//; s/'\$//" | sort -u >> PublicAPI.Unshipped.txt || true
dotnet build --no-incremental 2>&1 | grep -E "error|Build succeeded" | sort -u | head -20
