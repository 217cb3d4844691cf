// microsandbox's official Node SDK (0.6.18), in cloud mode, drives an msb server as a user would: create, exec
// (collected and streamed), files over the agent channel, get, list, stop, start, remove. Every step asserts what
// the user would see. Run by io.msb.e2e.NodeSdkIT; by hand: MSB_API_URL=... MSB_API_KEY=... node sdk-cloud.mjs
// (from a directory where `npm install microsandbox@0.6.18` was run).
import assert from "node:assert/strict";
import { NetworkPolicy, Sandbox, SandboxAlreadyExistsError, SandboxNotFoundError, setDefaultBackend } from "microsandbox";
import { IMAGE, cloudBackend, run, step, text } from "./steps.mjs";

setDefaultBackend(cloudBackend());

const PLAIN = "sdk-plain";
const CONFIGURED = "sdk-configured";
const EPHEMERAL = "sdk-ephemeral";
const SDK_SECRET = `sdk-secret-${Math.random().toString(36).slice(2)}`;

await run("sdk-cloud", async () => {
  // --- create with the SDK's default body; the server answers once the VM runs (TCG boots take seconds)
  const sb = await step("create with the default body", () => Sandbox.builder(PLAIN).image(IMAGE).create());
  assert.equal(sb.name, PLAIN);

  await step("a second create of the name is SandboxAlreadyExistsError", () =>
    assert.rejects(Sandbox.builder(PLAIN).image(IMAGE).create(), SandboxAlreadyExistsError));

  // --- exec over the agent WebSocket (one per call)
  await step("exec collected: stdout, stderr and the exit code", async () => {
    const out = await sb.exec("sh", ["-c", "echo out; echo err >&2; exit 3"]);
    assert.equal(out.code, 3);
    assert.equal(out.success, false);
    assert.equal(out.stdout(), "out\n");
    assert.equal(out.stderr(), "err\n");
  });

  await step("exec streamed: started, stdout in order, exited with its code", async () => {
    const handle = await sb.execStream("sh", ["-c", "for i in 1 2 3; do echo line$i; done; echo oops >&2; exit 5"]);
    const kinds = [];
    let stdout = "";
    let stderr = "";
    let code;
    for await (const event of handle) {
      kinds.push(event.kind);
      if (event.kind === "stdout") stdout += text(event.data);
      if (event.kind === "stderr") stderr += text(event.data);
      if (event.kind === "exited") code = event.code;
    }
    assert.equal(kinds[0], "started", `events: ${kinds}`);
    assert.equal(kinds.at(-1), "exited", `events: ${kinds}`);
    assert.equal(stdout, "line1\nline2\nline3\n");
    assert.equal(stderr, "oops\n");
    assert.equal(code, 5);
  });

  await step("exec with env and cwd", async () => {
    const out = await sb.execWith("sh", (b) => b.args(["-c", 'echo "$GREETING"; pwd']).env("GREETING", "hi there").cwd("/tmp"));
    assert.equal(out.code, 0, out.stderr());
    assert.equal(out.stdout(), "hi there\n/tmp\n");
  });

  await step("shell and a missing command", async () => {
    assert.equal((await sb.shell("echo $((6 * 7))")).stdout(), "42\n");
    assert.equal((await sb.exec("sh", ["-c", "no-such-command"])).code, 127);
  });

  // --- files over the agent channel (core.fs.*)
  const fs = sb.fs();
  await step("fs mkdir, write, read, stat, list", async () => {
    await fs.mkdir("/tmp/sdk");
    await fs.mkdir("/tmp/sdk/dir");
    await fs.write("/tmp/sdk/dir/a.txt", "hello from the SDK\n");
    assert.equal(await fs.readToString("/tmp/sdk/dir/a.txt"), "hello from the SDK\n");
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await fs.write("/tmp/sdk/bytes.bin", bytes);
    assert.deepEqual(new Uint8Array(await fs.read("/tmp/sdk/bytes.bin")), bytes);
    const file = await fs.stat("/tmp/sdk/dir/a.txt");
    assert.equal(file.kind, "file");
    assert.equal(file.size, 19);
    assert.equal((await fs.stat("/tmp/sdk/dir")).kind, "directory");
    const names = (await fs.list("/tmp/sdk")).map((e) => `${e.path.split("/").at(-1)}:${e.kind}`).sort();
    assert.deepEqual(names, ["bytes.bin:file", "dir:directory"]);
    // what the SDK wrote is what a command in the guest sees
    assert.equal((await sb.exec("cat", ["/tmp/sdk/dir/a.txt"])).stdout(), "hello from the SDK\n");
  });

  await step("fs rename, exists, remove, removeDir", async () => {
    await fs.rename("/tmp/sdk/dir/a.txt", "/tmp/sdk/dir/b.txt");
    assert.equal(await fs.exists("/tmp/sdk/dir/a.txt"), false);
    assert.equal(await fs.exists("/tmp/sdk/dir/b.txt"), true);
    await fs.remove("/tmp/sdk/dir/b.txt");
    await fs.removeDir("/tmp/sdk/dir");
    assert.equal(await fs.exists("/tmp/sdk/dir"), false);
    await assert.rejects(fs.readToString("/tmp/sdk/nothing-here"));
  });

  // --- a body with env, labels, rlimits, lifecycle and a network policy
  const configured = await step("create with env, labels, rlimits, lifecycle and a network policy", () =>
    Sandbox.builder(CONFIGURED).image(IMAGE)
      .env("APP_MODE", "e2e")
      .labels({ suite: "sdk-e2e", role: "configured" })
      .rlimitRange("nofile", 512, 1024)
      .maxDuration(3600)
      .idleTimeout(1800)
      .network((n) => n.policy(NetworkPolicy.none()).strict(true))
      .secretEnv("SDK_TOKEN", SDK_SECRET, "api.example.com")
      .create());

  await step("the secret reaches the guest as its placeholder only", async () => {
    const out = await configured.shell('printf %s "$SDK_TOKEN"');
    assert.equal(out.code, 0, out.stderr());
    assert.equal(out.stdout(), "$MSB_SDK_TOKEN");
  });

  await step("the configured sandbox has its env and rlimits", async () => {
    const out = await configured.shell('echo "$APP_MODE"; ulimit -Sn; ulimit -Hn');
    assert.equal(out.code, 0, out.stderr());
    assert.equal(out.stdout(), "e2e\n512\n1024\n");
  });

  await step("get by name: status, labels and policy as created", async () => {
    const handle = await Sandbox.get(CONFIGURED);
    assert.equal(handle.name, CONFIGURED);
    assert.equal(handle.status, "running");
    assert.equal(handle.backendKind, "cloud");
    const config = JSON.parse(handle.configJson);
    const spec = config.spec ?? config;
    assert.deepEqual(spec.labels, { role: "configured", suite: "sdk-e2e" });
    assert.equal(spec.lifecycle.max_duration_secs, 3600);
    assert.equal(spec.network.policy.default_egress, "deny");
    assert.deepEqual(spec.network.policy.rules, []);
    assert.equal(spec.network.strict, true);
    assert.equal(spec.network.secrets[0].env_var, "SDK_TOKEN");
    assert.equal(spec.network.secrets[0].placeholder, "$MSB_SDK_TOKEN");
    assert.ok(!handle.configJson.includes(SDK_SECRET), "the response holds no secret value");
  });

  await step("list: all, and by label", async () => {
    const all = (await Sandbox.list()).sandboxes.map((h) => h.name).sort();
    assert.deepEqual(all, [CONFIGURED, PLAIN]);
    const labelled = await Sandbox.listWith((l) => l.label("suite", "sdk-e2e"));
    assert.deepEqual(labelled.sandboxes.map((h) => h.name), [CONFIGURED]);
    assert.equal(labelled.sandboxes[0].status, "running");
  });

  // --- stop (the SDK polls by name until it sees stopped), start again, the disk kept
  await step("stop: the SDK's own polling sees stopped", async () => {
    await sb.stop();
    assert.equal((await Sandbox.get(PLAIN)).status, "stopped");
  });

  await step("start by name: running again, files kept", async () => {
    const again = await Sandbox.start(PLAIN);
    assert.equal((await Sandbox.get(PLAIN)).status, "running");
    assert.equal((await again.fs().read("/tmp/sdk/bytes.bin")).length, 256);
    await again.stop();
  });

  await step("start and remove through a handle (by id)", async () => {
    const handle = await Sandbox.get(PLAIN);
    assert.equal(handle.status, "stopped");
    const started = await handle.start();
    assert.equal((await started.exec("true")).code, 0);
    await started.stop();
    await (await Sandbox.get(PLAIN)).remove();
    await assert.rejects(Sandbox.get(PLAIN), SandboxNotFoundError);
  });

  // --- an ephemeral sandbox is removed when it stops; the SDK's stop (polling by name) must still see "stopped"
  await step("ephemeral: stop succeeds and the sandbox is gone from the list", async () => {
    const eph = await Sandbox.builder(EPHEMERAL).image(IMAGE).ephemeral(true).create();
    assert.equal((await eph.exec("true")).code, 0);
    await eph.stop();
    assert.equal((await Sandbox.get(EPHEMERAL)).status, "stopped"); // its last state, kept a minute (decision 1025)
    assert.ok(!(await Sandbox.list()).sandboxes.some((h) => h.name === EPHEMERAL), "listed after its stop");
    const again = await Sandbox.builder(EPHEMERAL).image(IMAGE).ephemeral(true).create(); // the name is free
    assert.equal((await Sandbox.get(EPHEMERAL)).status, "running");
    await again.stop();
  });

  // --- logs: GET /v1/sandboxes/{id}/logs as Server-Sent Events, the way the SDK follows them (decision 1017)
  await step("logs: exec output by source, resumed from a cursor, followed live, ended by the stop", async () => {
    await configured.exec("sh", ["-c", "echo log-one; echo log-two >&2"]);
    const stream = await configured.logStream({ follow: true });
    const seen = [];
    while (seen.at(-1)?.text() !== "log-two\n") {
      const e = await stream.recv();
      assert.ok(e, `the stream ended after: ${seen.map((x) => x.text())}`);
      seen.push(e);
    }
    const one = seen.find((e) => e.text() === "log-one\n");
    assert.ok(one, `entries: ${seen.map((e) => e.text())}`);
    assert.equal(one.source, "stdout");
    assert.equal(seen.at(-1).source, "stderr");
    const resumed = await configured.logStream({ follow: true, fromCursor: one.cursor });
    assert.equal((await resumed.recv()).text(), "log-two\n");
    const follower = await configured.logStream({ follow: true, fromCursor: seen.at(-1).cursor, sources: ["stdout", "system"] });
    await configured.exec("sh", ["-c", "echo log-three"]);
    assert.equal((await follower.recv()).text(), "log-three\n");
    await configured.stop();
    const tail = [];
    for (let e = await follower.recv(); e !== null; e = await follower.recv()) tail.push(e.text());
    assert.ok(tail.at(-1)?.startsWith("sandbox stopped"), `after the stop: ${tail}`);
  });

  await step("remove by name", async () => {
    await Sandbox.remove(CONFIGURED);
    await assert.rejects(Sandbox.get(CONFIGURED), SandboxNotFoundError);
    assert.deepEqual((await Sandbox.list()).sandboxes, []);
  });
}, async () => {
  for (const name of [PLAIN, CONFIGURED, EPHEMERAL]) {
    await Sandbox.remove(name).catch(() => {});
  }
});
