// The resuming stream iterator: its bookkeeping on a scripted stream, then a real
// server-streaming RPC (gRPC health Watch) across a forced disconnect, where the
// server is killed by PID and started again on the same port.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Code, ConnectError, createRunyardClient, health, isDisconnect, resumable } from "../src/index.js";
import { RunyardServer } from "./server.js";

test("resumes from the last received position after each retryable failure", async () => {
  const opened: Array<number | undefined> = [];
  // Each stream yields positions from+1, a heartbeat (-1, no position), from+2,
  // then breaks, three times.
  async function* stream(from: number | undefined): AsyncIterable<number> {
    opened.push(from);
    const start = from ?? 0;
    yield start + 1;
    yield -1;
    yield start + 2;
    yield -1;
    if (opened.length < 4) throw new ConnectError("connection reset", Code.Unavailable);
  }
  const got: number[] = [];
  const position = (n: number) => (n < 0 ? undefined : n);
  for await (const n of resumable(stream, position, { initialDelayMs: 1 })) {
    if (n > 0) got.push(n);
  }
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(opened, [undefined, 2, 4, 6]);
});

test("gives up after maxAttempts failures in a row and never retries a caller's mistake", async () => {
  let opens = 0;
  const failing = (code: Code) =>
    async function* (): AsyncIterable<number> {
      opens++;
      throw new ConnectError("no", code);
    };
  await assert.rejects(
    (async () => {
      for await (const _ of resumable(failing(Code.Unavailable), (n) => n, { maxAttempts: 3, initialDelayMs: 1 }));
    })(),
    (err: ConnectError) => err.code === Code.Unavailable,
  );
  assert.equal(opens, 4);
  opens = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of resumable(failing(Code.InvalidArgument), (n) => n));
    })(),
    (err: ConnectError) => err.code === Code.InvalidArgument,
  );
  assert.equal(opens, 1);
});

let server: RunyardServer;

before(async () => {
  server = new RunyardServer();
  await server.start();
});

after(async () => {
  await server?.dispose();
});

test("a real server stream resumes after the server is killed and started again", async () => {
  const client = createRunyardClient({ baseUrl: server.baseUrl });
  const opened: Array<number | undefined> = [];
  const failures: Code[] = [];
  let received = 0;
  const stop = new AbortController();
  const statuses = resumable(
    (from, signal) => {
      opened.push(from);
      return client.health.watch({ service: "runyard.v1.RunService" }, { signal });
    },
    // Health has no positions of its own: count replies, so each reopen shows where it resumed.
    () => ++received,
    {
      signal: stop.signal,
      maxAttempts: 200, // bounded: at most 200 * 250 ms while the server restarts
      maxDelayMs: 250,
      onReconnect: (err) => failures.push(err.code),
    },
  );
  const seen: health.HealthCheckResponse_ServingStatus[] = [];
  for await (const reply of statuses) {
    seen.push(reply.status);
    if (seen.length === 1) {
      await server.kill(); // every connection ends abruptly
      await server.start(); // same ports, same database
    } else {
      stop.abort();
    }
  }
  const SERVING = health.HealthCheckResponse_ServingStatus.SERVING;
  assert.deepEqual(seen, [SERVING, SERVING]);
  assert.equal(opened[0], undefined);
  assert.ok(opened.length >= 2);
  assert.ok(opened.slice(1).every((from) => from === 1), `reopened from ${opened}`);
  assert.ok(failures.length >= 1);
  assert.ok(
    failures.every((code) => isDisconnect(new ConnectError("", code))),
    `failures: ${failures.map((c) => Code[c])}`,
  );
});
