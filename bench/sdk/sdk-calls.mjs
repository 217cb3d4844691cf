// Per-call latency as microsandbox's Node SDK (0.6.18, cloud mode) sees it against an msb server, and N calls from
// one process against one sandbox (every call opens its own agent WebSocket and never closes it: decision 1016).
// Usage (from a directory where `npm install microsandbox@0.6.18` ran):
//   MSB_API_URL=http://127.0.0.1:5555 MSB_API_KEY=... node sdk-calls.mjs [calls=10000] [samples=5]
// Prints figures; asserts only that every call succeeds.
import { Sandbox, setDefaultBackend } from "microsandbox";

setDefaultBackend({ kind: "cloud", url: process.env.MSB_API_URL, apiKey: process.env.MSB_API_KEY });
const calls = Number(process.argv[2] ?? 10000);
const samples = Number(process.argv[3] ?? 5);
const image = process.env.MSB_E2E_IMAGE ?? "builtin:busybox";

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const summary = (xs) => `p50 ${pct(xs, 0.5).toFixed(1)} ms, p90 ${pct(xs, 0.9).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const creates = [];
for (let i = 0; i < samples; i++) {
  const t0 = process.hrtime.bigint();
  const sb = await Sandbox.builder(`bench-create-${i}`).image(image).create();
  creates.push(ms(t0));
  await Sandbox.remove(sb.name);
}
console.log(`create -> running (SDK create(), boot included): ${summary(creates)}`);

const sb = await Sandbox.builder("bench-calls").image(image).create();
try {
  const exec = [];
  const stat = [];
  let failures = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    try {
      if (i % 2 === 0) {
        const out = await sb.exec("true");
        if (out.code !== 0) throw new Error(`exit ${out.code}`);
        exec.push(ms(t));
      } else {
        const st = await sb.fs().stat("/etc");
        if (st.kind !== "directory") throw new Error(`kind ${st.kind}`);
        stat.push(ms(t));
      }
    } catch (e) {
      failures++;
      console.log(`call ${i} failed: ${e?.message ?? e}`);
    }
  }
  const total = ms(t0) / 1000;
  console.log(`exec true (round trip, new WebSocket): ${summary(exec)}`);
  console.log(`fs stat /etc (new WebSocket): ${summary(stat)}`);
  console.log(`${calls - failures}/${calls} calls succeeded in ${total.toFixed(1)} s (${(calls / total).toFixed(1)} calls/s)`);
  process.exitCode = failures === 0 ? 0 : 1;
} finally {
  await Sandbox.remove(sb.name);
}
