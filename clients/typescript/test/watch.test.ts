// runyard's watch streams (WatchRunEvents, WatchRuns) consumed with `resumable`
// across a forced disconnect: the server is killed by PID, runs change while the
// client is away, and the stream resumes from the last position received with
// no gap and no duplicate.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  Automation_Kind,
  Run_State,
  Run_Trigger,
  createRunyardClient,
  resumable,
  type RunyardClient,
} from "../src/index.js";
import { RunyardServer } from "./server.js";

const WS = "organizations/ts/workspaces/watch";
const AUTO = `${WS}/automations/nightly`;

let server: RunyardServer;
let client: RunyardClient;

before(async () => {
  server = new RunyardServer();
  // Frequent heartbeats: the first one on WatchRuns shows that its feed is open.
  await server.start("--stream-heartbeat", "0.2");
  client = createRunyardClient({ baseUrl: server.baseUrl, token: await server.token("ts") });
  await client.workspaces.createWorkspace({ parent: "organizations/ts", workspaceId: "watch", workspace: {} });
  await client.automations.createAutomation({
    parent: WS,
    automationId: "nightly",
    automation: { kind: Automation_Kind.SCHEDULED_TASK },
  });
});

after(async () => {
  await server?.dispose();
});

test("WatchRunEvents resumes after the server is killed, without gaps or duplicates", async () => {
  const run = await client.runs.createRun({ parent: AUTO, run: { trigger: Run_Trigger.API } });
  await client.runner.startRun({ name: run.name });

  const opened: Array<bigint | undefined> = [];
  const events = resumable(
    (from: bigint | undefined, signal) => {
      opened.push(from);
      return client.runs.watchRunEvents({ parent: run.name, afterSequence: from ?? 0n }, { signal });
    },
    (msg) => (msg.kind.case === "event" ? msg.kind.value.sequence : undefined),
    { maxAttempts: 200, maxDelayMs: 250 }, // bounded: at most 200 * 250 ms while the server restarts
  );
  const sequences: bigint[] = [];
  for await (const msg of events) {
    if (msg.kind.case !== "event") continue;
    sequences.push(msg.kind.value.sequence);
    if (sequences.length === 2) {
      await server.kill(); // the stream's connection ends abruptly
      await server.start(); // same ports, same database
      // Changes made while the client is away: the resumed stream must replay them.
      await client.runs.pauseRun({ name: run.name, reason: "while the watcher is away" });
      await client.runs.continueRun({ name: run.name });
      await client.runner.completeRun({ name: run.name, succeeded: true });
    }
  }
  // Without `follow` the stream ends after the run's final event.
  assert.deepEqual(sequences, [1n, 2n, 3n, 4n, 5n]);
  assert.equal(opened[0], undefined);
  assert.ok(opened.length >= 2);
  assert.ok(opened.slice(1).every((from) => from === 2n), `reopened from ${opened}`);
});

test("WatchRuns resumes from the last change's resume token after the server is killed", async () => {
  const opened: Array<string | undefined> = [];
  const stop = new AbortController();
  const feed = resumable(
    (from: string | undefined, signal) => {
      opened.push(from);
      return client.runs.watchRuns({ parent: `${WS}/automations/-`, resumeToken: from ?? "" }, { signal });
    },
    (msg) => msg.kind.value?.resumeToken || undefined,
    { signal: stop.signal, maxAttempts: 200, maxDelayMs: 250 },
  );
  let run = "";
  let tokenBeforeKill = "";
  const states: Run_State[] = [];
  for await (const msg of feed) {
    if (msg.kind.case === "heartbeat") {
      // The feed is open (a heartbeat comes first): now make the change it must see.
      if (!run) run = (await client.runs.createRun({ parent: AUTO, run: {} })).name;
      continue;
    }
    if (msg.kind.case !== "change" || msg.kind.value.run?.name !== run) continue;
    states.push(msg.kind.value.run.state);
    if (states.length === 1) {
      tokenBeforeKill = msg.kind.value.resumeToken;
      await server.kill();
      await server.start("--stream-heartbeat", "0.2");
      await client.runner.startRun({ name: run });
      await client.runs.cancelRun({ name: run });
    } else if (msg.kind.value.run.state === Run_State.CANCELLED) {
      stop.abort();
    }
  }
  assert.deepEqual(states, [Run_State.QUEUED, Run_State.RUNNING, Run_State.CANCELLED]);
  assert.equal(opened[0], undefined);
  assert.ok(tokenBeforeKill);
  const reopened = opened.slice(opened.indexOf(tokenBeforeKill));
  assert.ok(reopened.length >= 1 && reopened.every((from) => from === tokenBeforeKill), `reopened from ${opened}`);
});
