#!/bin/sh
# Fuzzes the Java decoders of guest data with Jazzer (libFuzzer in the JVM, coverage-guided).
# usage: bench/fuzz/run-java.sh [RUNS] [TARGET...]   (RUNS default 10000000; targets default: the three protocol
#        ones; the network stack's is io.msb.network.internal.stack.NetStackFuzz, DNS interception's
#        io.msb.network.internal.dns.DnsFuzz)
# Needs: io.msb.protocol and io.msb.network installed with their test jars, where the targets live
#        (mvn -o -q install -pl bundles/io.msb.protocol,bundles/io.msb.network -am -DskipTests), python3.
# MVN: the Maven command (default mvn), e.g. MVN="mvn -o -Dmaven.repo.local=/tmp/m2/repository".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-10000000}
[ $# -gt 0 ] && shift
targets=${*:-"FrameFuzz PayloadFuzz HeartbeatFuzz"}
work=${FUZZ_WORK:-/var/tmp/msb-fuzz}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

# the targets are in the bundles' test jars (beside the code they fuzz); bench/fuzz/java only gathers the class path
(cd "$here/java" && ${MVN:-mvn} -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt)
cp=$(cat "$here/java/target/cp.txt")

# seeds: every conformance vector as a whole frame (FrameFuzz), as type byte + payload (PayloadFuzz),
# and a heartbeat file as agentd writes it (HeartbeatFuzz)
mkdir -p "$work/seeds/FrameFuzz" "$work/seeds/PayloadFuzz" "$work/seeds/HeartbeatFuzz"
python3 - "$root/conformance/agent-protocol/vectors.json" "$work/seeds" <<'PY'
import json, sys, os
vectors = json.load(open(sys.argv[1]))["vectors"]
out = sys.argv[2]
for i, v in enumerate(vectors):
    b = bytes.fromhex(v["hex"])
    open(os.path.join(out, "FrameFuzz", "v%03d" % i), "wb").write(b)
    open(os.path.join(out, "PayloadFuzz", "v%03d" % i), "wb").write(bytes([i % 256]) + b[9:])
open(os.path.join(out, "HeartbeatFuzz", "agentd"), "wb").write(
    b'{"heartbeat_seq":12,"activity_seq":3,"active_exec_sessions":1,"active_fs_streams":0,'
    b'"active_tcp_streams":0,"uptime_ms":12000}\n')
# DnsFuzz: [transport/policy byte][query length u16][query for a.test A][upstream answer: one public, one private A]
dns = os.path.join(out, "io.msb.network.internal.dns.DnsFuzz")
os.makedirs(dns, exist_ok=True)
q = bytes.fromhex("123401000001000000000000" "016104746573740000010001")
a = bytes.fromhex("123481800001000200000000" "016104746573740000010001"
                  "c00c000100010000012c00045db8d822" "c00c000100010000012c00040a000005")
for flags in range(4):
    open(os.path.join(dns, "a%d" % flags), "wb").write(bytes([flags]) + len(q).to_bytes(2, "big") + q + a)
PY

for t in $targets; do
    # a bare name is one of the protocol targets; others are given fully qualified
    case $t in *.*) class=$t ;; *) class=io.msb.protocol.$t ;; esac
    mkdir -p "$work/corpus/$t" "$work/crashes/$t" "$work/seeds/$t"
    echo "== $t: $runs runs"
    start=$(date +%s)
    # -timeout 60: the first inputs load and instrument Jackson (seconds on a loaded 2-core host), a real hang
    # still trips it; -rss_limit_mb: the JVM's own footprint counts, the decoders stay far below it
    # DNS: dnsjava parses the hostile bytes, so its code guides the fuzzer too
    case $t in *.DnsFuzz) includes='io.msb.**:org.xbill.**' ;; *) includes='io.msb.**' ;; esac
    "$java" -Xmx512m -cp "$cp" com.code_intelligence.jazzer.Jazzer --target_class="$class" \
        --instrumentation_includes="$includes" \
        -runs="$runs" -max_len=4096 -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/crashes/$t/" "$work/corpus/$t" "$work/seeds/$t" 2>&1 | tee "$work/$t.log" | grep -E '^(#[0-9]+ +(DONE|pulse)|==|INFO: seed|stat::|.*(Exception|Error|crash-|timeout-))' || true
    echo "== $t: $(( $(date +%s) - start )) s; crashes: $(ls "$work/crashes/$t" | wc -l) (log $work/$t.log)"
done
