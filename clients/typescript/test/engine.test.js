// Runs the compiled wrapper (dist/client.js) against the built engine. vscode-jsonrpc cannot
// be installed here, so `connect` below speaks the LSP base protocol over the child's stdio
// with the few MessageConnection members the wrapper uses (sendRequest, sendNotification,
// onNotification, onClose). Usage: node test/engine.test.js /path/to/flowrunner
"use strict";
const assert = require("assert");
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const { FlowrunnerClient, EngineExited } = require("../dist/client.js");

function connect(child) {
  let buffer = Buffer.alloc(0);
  let nextId = 1;
  const pending = new Map();
  const handlers = new Map();
  const closeListeners = [];
  child.stdout.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString());
      buffer = buffer.subarray(end + 4 + length);
      if (message.method) {
        const handler = handlers.get(message.method);
        if (handler) handler(message.params);
      } else if (pending.has(message.id)) {
        const { resolve, reject } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) reject(Object.assign(new Error(message.error.message), message.error));
        else resolve(message.result);
      }
    }
  });
  child.stdout.on("close", () => {
    for (const { reject } of pending.values()) reject(new Error("closed"));
    for (const listener of closeListeners) listener();
  });
  const write = (message) => {
    const body = Buffer.from(JSON.stringify(message));
    child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    child.stdin.write(body);
  };
  return {
    sendRequest(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        write(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
      });
    },
    async sendNotification(method, params) {
      write(params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params });
    },
    onNotification(method, handler) {
      handlers.set(method, handler);
      return { dispose: () => handlers.delete(method) };
    },
    onClose(listener) {
      closeListeners.push(listener);
      return { dispose() {} };
    },
    listen() {},
    dispose() {},
  };
}

async function main() {
  const binary = process.argv[2];
  const root = path.resolve(__dirname, "../../..");
  // The fake provider, answering after 30 s: a run on it stays live until cancelled.
  const fake = spawn(path.join(path.dirname(binary), "flowrunner-fake-provider"), ["--port", "0", "--latency-ms", "30000"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const baseURL = await new Promise((resolve) => {
    let text = "";
    fake.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /MISTRAL_BASE_URL=(\S+)/.exec(text);
      if (match) resolve(match[1]);
    });
  });
  const child = spawn(binary, ["serve", "--framing", "lsp"], { stdio: ["pipe", "pipe", "ignore"] });
  const client = new FlowrunnerClient(connect(child));
  const init = await client.initialize({
    client_info: { name: "ts-test" },
    providers: { mistral: { api_key: "sk-fake", base_url: baseURL } },
  });
  assert.strictEqual(init.server_info.name, "flowrunner");

  // Every fixture, with its events in order and the same log replayed by the engine.
  const flowsDir = path.join(root, "Fixtures", "flows");
  for (const file of fs.readdirSync(flowsDir).filter((name) => name.endsWith(".json"))) {
    const flow = JSON.parse(fs.readFileSync(path.join(flowsDir, file), "utf8"));
    assert.ok((await client.validate(flow)).valid, file);
    const run = await client.start(flow, { stream: true });
    const seen = [];
    for await (const event of run) seen.push(event);
    const result = await run.result;
    assert.strictEqual(result.state, "completed", file);
    assert.deepStrictEqual(seen.map((event) => event.params.seq), seen.map((_, index) => index + 1), file);
    const page = await client.events(run.runId);
    assert.ok(page.ended);
    assert.deepStrictEqual(page.events, seen, file);
  }

  // Ten runs at once, then the list.
  const chain = JSON.parse(fs.readFileSync(path.join(flowsDir, "long-chain.json"), "utf8"));
  const runs = await Promise.all(Array.from({ length: 10 }, (_, index) => client.start(chain, {}, `ts-run-${index}`)));
  const results = await Promise.all(runs.map((run) => run.result));
  assert.ok(results.every((result) => result.state === "completed"));
  const listed = await client.list("completed");
  assert.ok(runs.every((run) => listed.runs.some((entry) => entry.run_id === run.runId)));

  // A refused flow is a rejected request with every issue.
  await assert.rejects(client.start({ nodes: [{ id: "a", type: "translater" }] }), (error) => error.code === -32602);

  // A run live when the engine dies fails with EngineExited.
  const slow = { nodes: [{ id: "p", type: "initialPrompt", data: { text: "x" } }, { id: "e", type: "promptEnhancer", data: { providerId: "mistral" } }], edges: [{ source: "p", target: "e" }] };
  const live = await client.start(slow);
  const cancelled = await client.start(slow);
  for await (const event of cancelled) {
    if (event.method === "execution.node.status" && event.params.node_id === "e" && event.params.status === "running") break;
  }
  assert.strictEqual(await cancelled.cancel(), true);
  assert.strictEqual((await cancelled.result).state, "cancelled");
  child.kill("SIGKILL");
  await assert.rejects(live.result, (error) => error instanceof EngineExited);
  await assert.rejects(client.start(slow), (error) => error instanceof EngineExited || /closed/.test(error.message));
  fake.kill();
  console.log(`ok: ${fs.readdirSync(flowsDir).filter((name) => name.endsWith(".json")).length} fixtures, 10 concurrent runs, a refusal, a cancel, a killed engine`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
