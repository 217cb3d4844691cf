// microsandbox's low-level Node `AgentClient` (0.6.18) talks to a sandbox's agent through msb's relay socket,
// `<msb home>/sandboxes/<name>/agent.sock`, exactly as it talks to microsandbox's: the relay's id range and cached
// core.ready first, then raw frames. Bodies are CBOR `{v, t, p}` with `v: 1`, as the SDK's own documentation builds
// them. Run by io.msb.e2e.NodeSdkIT; by hand: MSB_API_URL=... MSB_API_KEY=... MSB_SERVER_HOME=... node sdk-agent-client.mjs
import assert from "node:assert/strict";
import { join } from "node:path";
import { decode, encode } from "cbor-x";
import { AgentClient, FLAG_SESSION_START, FLAG_TERMINAL, Sandbox, setDefaultBackend } from "microsandbox";
import { IMAGE, cloudBackend, run, step, text } from "./steps.mjs";

setDefaultBackend(cloudBackend());
assert.ok(process.env.MSB_SERVER_HOME, "MSB_SERVER_HOME (the server's msb home) is not set");

const NAME = "sdk-agent-client";
const message = (t, payload) => encode({ v: 1, t, p: encode(payload) });
const open = (frame) => {
  const { v, t, p } = decode(frame.body);
  return { v, t, p: decode(p) };
};

let client;
await run("sdk-agent-client", async () => {
  await step("create the sandbox through the cloud API", () => Sandbox.builder(NAME).image(IMAGE).create());

  client = await step("connect to the relay socket: core.ready first", async () => {
    const c = await AgentClient.connect(join(process.env.MSB_SERVER_HOME, "sandboxes", NAME, "agent.sock"));
    const ready = decode(c.readyBytes());
    assert.equal(ready.t, "core.ready");
    assert.ok(decode(ready.p).boot_time_ns >= 0, "core.ready carries boot_time_ns");
    return c;
  });

  await step("ping: core.pong on the same id", async () => {
    const reply = await client.request(0, message("core.ping", {}));
    assert.equal(open(reply).t, "core.pong");
    assert.equal(reply.flags & FLAG_TERMINAL, FLAG_TERMINAL);
  });

  await step("core.fs.request Stat: one core.fs.response", async () => {
    const reply = open(await client.request(FLAG_SESSION_START,
      message("core.fs.request", { op: { Stat: { path: "/etc", follow_symlink: true } } })));
    assert.equal(reply.t, "core.fs.response");
    assert.equal(reply.p.ok, true, JSON.stringify(reply.p));
  });

  await step("core.exec.request: started, stdout, exited with its code", async () => {
    const stream = await client.stream(FLAG_SESSION_START, message("core.exec.request", {
      cmd: "sh", args: ["-c", "echo over the relay; exit 7"], env: ["A=1"], cwd: "/", user: null,
      tty: false, rows: 24, cols: 80, rlimits: [],
    }));
    const types = [];
    let stdout = "";
    let code;
    for await (const frame of stream) {
      const { t, p } = open(frame);
      types.push(t);
      if (t === "core.exec.stdout") stdout += text(p.data);
      if (t === "core.exec.exited") {
        code = p.code;
        break;
      }
    }
    await stream.close();
    assert.equal(types[0], "core.exec.started", `frames: ${types}`);
    assert.equal(stdout, "over the relay\n");
    assert.equal(code, 7);
  });

  await step("the cloud SDK still works beside the direct client", async () => {
    const sb = await Sandbox.get(NAME).then((h) => h.connect());
    assert.equal((await sb.exec("echo", ["both"])).stdout(), "both\n");
  });
}, async () => {
  await client?.close();
  await Sandbox.remove(NAME).catch(() => {});
});
