#!/usr/bin/env bash
# fuzz/run.sh TARGET [SECONDS]: one coverage-guided AFL++ campaign of a parser (docs/reliability.md#hostile-input).
# Targets: auth, chunked, xml, sealed, headers, policy (fuzz/Targets.cs); fuzz/dict/TARGET.dict, when present, gives AFL the
# format's tokens. "canary" is the harness's self-check: it crashes on purpose, so AFL must report a crash within
# seconds. Needs afl++ (Debian) and the SharpFuzz.CommandLine dotnet tool (installed from NuGet into fuzz/.tools on
# first use). Seeds: fuzz/corpus/TARGET; AFL's queue, crashes
# and hangs: fuzz/findings/TARGET (not committed). Replay a finding, uninstrumented (the instrumented copy in fuzz/out
# only runs under afl-fuzz): dotnet run --project fuzz -- replay TARGET FILE-OR-FOLDER.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-180}
[ -d "corpus/$target" ] || { echo "no seed corpus corpus/$target" >&2; exit 2; }
command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: apt-get install afl++" >&2; exit 2; }
tools=$PWD/.tools
[ -x "$tools/sharpfuzz" ] || dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null

# A Release build whose Coffer assemblies are instrumented for AFL (SharpFuzz rewrites them in place; not Coffer.Fuzz,
# which calls SharpFuzz's fork server); rebuilt whenever a source file is newer than the last instrumented build.
out=$PWD/out/bin
stamp=$out/.instrumented
if [ ! -f "$stamp" ] || [ -n "$(find ../src . -path ./out -prune -o \( -name '*.cs' -o -name '*.csproj' \) -newer "$stamp" -print -quit)" ]; then
  rm -rf "$out"
  dotnet publish Coffer.Fuzz.csproj -c Release -o "$out" --nologo -v q >/dev/null
  for dll in Coffer.Protocol Coffer.Crypto Coffer.Server; do
    "$tools/sharpfuzz" "$out/$dll.dll" >/dev/null
  done
  touch "$stamp"
fi

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
mkdir -p findings
dict=()
[ -f "dict/$target.dict" ] && dict=(-x "dict/$target.dict")
afl-fuzz -i "corpus/$target" -o "findings/$target" "${dict[@]}" -t 5000 -m none -V "$seconds" -- dotnet "$out/Coffer.Fuzz.dll" "$target"
stats=findings/$target/default/fuzzer_stats
if [ -f "$stats" ]; then
  grep -E '^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs|run_time) ' "$stats"
fi
