// The TypeScript client against a real runyard server with runs it makes itself.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  Automation_Kind,
  Code,
  Run_State,
  Run_Trigger,
  Token_Role,
  call,
  createRunyardClient,
  health,
  items,
  pages,
  toRunyardError,
  type RunyardClient,
  type RunyardError,
} from "../src/index.js";
import { RunyardServer } from "./server.js";

const WS = "organizations/ts/workspaces/client";
const AUTO = `${WS}/automations/nightly`;
const LISTED = 36; // runs made for the list tests, over two automations

let server: RunyardServer;
let client: RunyardClient;

before(async () => {
  server = new RunyardServer();
  await server.start();
  client = createRunyardClient({
    baseUrl: server.baseUrl,
    token: await server.token("ts"),
    timeoutMs: 30_000,
  });
  await client.workspaces.createWorkspace({
    parent: "organizations/ts",
    workspaceId: "client",
    workspace: { displayName: "TypeScript client" },
  });
  for (const id of ["nightly", "hourly"]) {
    await client.automations.createAutomation({
      parent: WS,
      automationId: id,
      automation: { displayName: id, kind: Automation_Kind.SCHEDULED_TASK },
    });
  }
  await seedRuns();
});

/** Runs in every end state, a third of them labelled team=billing. */
async function seedRuns(): Promise<void> {
  for (let i = 0; i < LISTED; i++) {
    const run = await client.runs.createRun({
      parent: `${WS}/automations/${i % 2 ? "hourly" : "nightly"}`,
      run: { trigger: Run_Trigger.SCHEDULE, labels: { team: i % 3 ? "data" : "billing" } },
    });
    if (i % 4 === 0) continue; // stays QUEUED
    await client.runner.startRun({ name: run.name });
    if (i % 4 === 1) continue; // stays RUNNING
    await client.runner.completeRun({ name: run.name, succeeded: i % 4 === 2 });
  }
}

after(async () => {
  await server?.dispose();
});

async function rejection(promise: Promise<unknown>): Promise<RunyardError> {
  try {
    await promise;
  } catch (err) {
    return toRunyardError(err);
  }
  assert.fail("the call succeeded");
}

describe("lists", () => {
  const request = {
    parent: `${WS}/automations/-`,
    filter: 'state = FAILED OR (state = SUCCEEDED AND labels.team = "billing")',
    orderBy: "create_time desc",
    pageSize: 5,
  };

  test("the page iterator walks every page of an AIP-160 filter, as the Python client sees it", async () => {
    const seen: string[] = [];
    let pageCount = 0;
    for await (const page of pages(client.runs.listRuns, request)) {
      pageCount++;
      assert.ok(page.runs.length <= 5);
      seen.push(...page.runs.map((r) => r.name));
    }
    const python = await server.python<{ names: string[]; total_size: number }>("list_runs.py", {
      parent: request.parent,
      filter: request.filter,
      order_by: request.orderBy,
      page_size: request.pageSize,
      token: await server.token("ts"),
    });
    // FAILED: i % 4 == 3 (9 runs); SUCCEEDED billing: i % 4 == 2 and i % 3 == 0 (3 runs)
    assert.equal(seen.length, 12);
    assert.equal(pageCount, Math.ceil(seen.length / 5));
    assert.deepEqual(seen, python.names);
    assert.equal(seen.length, python.total_size);
    assert.equal(new Set(seen).size, seen.length);
  });

  test("the item iterator yields the same runs, each matching the filter", async () => {
    const runs = [];
    for await (const run of items(client.runs.listRuns, request, (p) => p.runs)) runs.push(run);
    const { totalSize } = await client.runs.listRuns({ ...request, showTotalSize: true });
    assert.equal(runs.length, totalSize);
    for (const run of runs) {
      assert.ok(
        run.state === Run_State.FAILED ||
          (run.state === Run_State.SUCCEEDED && run.labels.team === "billing"),
        run.name,
      );
    }
  });
});

describe("run lifecycle", () => {
  test("create, start, pause, continue, cancel, retry", async () => {
    const created = await client.runs.createRun({
      parent: AUTO,
      run: { trigger: Run_Trigger.MANUAL, caller: "ts-client" },
      requestId: crypto.randomUUID(),
    });
    assert.equal(created.state, Run_State.QUEUED);
    assert.equal(created.attempt, 1);
    assert.ok(created.name.startsWith(`${AUTO}/runs/`));

    const started = await client.runner.startRun({ name: created.name });
    assert.equal(started.state, Run_State.RUNNING);

    const paused = await client.runs.pauseRun({ name: created.name, reason: "upstream is late" });
    assert.equal(paused.state, Run_State.PAUSED);
    assert.equal(paused.pauseReason, "upstream is late");
    assert.ok(paused.pauseTime);

    const continued = await client.runs.continueRun({ name: created.name, etag: paused.etag });
    assert.equal(continued.state, Run_State.RUNNING);

    const cancelled = await client.runs.cancelRun({ name: created.name, reason: "not needed" });
    assert.equal(cancelled.state, Run_State.CANCELLED);

    const retried = await client.runs.retryRun({ name: created.name });
    assert.equal(retried.state, Run_State.QUEUED);
    assert.equal(retried.attempt, 2);
    assert.equal(retried.retriedRun, created.name);

    const events = await client.runs.listRunEvents({ parent: created.name });
    const changes = events.runEvents.flatMap((e) =>
      e.detail.case === "stateChange" ? [[e.detail.value.fromState, e.detail.value.toState]] : [],
    );
    assert.deepEqual(changes.slice(-4), [
      [Run_State.QUEUED, Run_State.RUNNING],
      [Run_State.RUNNING, Run_State.PAUSED],
      [Run_State.PAUSED, Run_State.RUNNING],
      [Run_State.RUNNING, Run_State.CANCELLED],
    ]);
  });

  test("a repeated request_id returns the first answer", async () => {
    const requestId = crypto.randomUUID();
    const run = { trigger: Run_Trigger.API };
    const first = await client.runs.createRun({ parent: AUTO, run, requestId });
    const again = await client.runs.createRun({ parent: AUTO, run, requestId });
    assert.equal(again.name, first.name);
  });
});

describe("errors", () => {
  test("BadRequest field violations and ErrorInfo are decoded", async () => {
    const err = await rejection(client.runs.pauseRun({ name: `${AUTO}/runs/r1` }));
    assert.equal(err.code, Code.InvalidArgument);
    assert.equal(err.errorInfo?.domain, "runyard.dev");
    assert.ok(err.reason, "ErrorInfo.reason is set");
    assert.ok(err.violation("reason"), JSON.stringify(err.fieldViolations));
    assert.ok(err.violation("reason")?.description);
  });

  test("an illegal transition names its reason; call() rethrows typed errors", async () => {
    const run = await client.runs.createRun({ parent: AUTO, run: {} });
    const err = await rejection(call(() => client.runs.continueRun({ name: run.name })));
    assert.equal(err.code, Code.FailedPrecondition);
    assert.equal(err.codeName, "FailedPrecondition");
    assert.equal(err.reason, "ILLEGAL_STATE_TRANSITION");
  });

  test("a missing resource carries ResourceInfo", async () => {
    const err = await rejection(client.runs.getRun({ name: `${AUTO}/runs/nope` }));
    assert.equal(err.code, Code.NotFound);
    assert.ok(err.reason);
    assert.equal(err.resourceInfo?.resourceName, `${AUTO}/runs/nope`);
  });

});

describe("call options", () => {
  test("the deadline and token options reach the wire as grpc-timeout and authorization", async () => {
    const sent: Array<[string | null, string | null]> = [];
    const observing = createRunyardClient({
      baseUrl: server.baseUrl,
      token: () => server.token("ts"),
      timeoutMs: 20_000,
      interceptors: [
        (next) => async (req) => {
          sent.push([req.header.get("grpc-timeout"), req.header.get("authorization")]);
          return next(req);
        },
      ],
    });
    await observing.runs.listRuns({ parent: AUTO, pageSize: 1 });
    await observing.runs.listRuns({ parent: AUTO, pageSize: 1 }, { timeoutMs: 5_000 });
    const bearer = `Bearer ${await server.token("ts")}`;
    assert.deepEqual(sent, [
      ["20000m", bearer],
      ["5000m", bearer],
    ]);
  });
});

describe("authentication", () => {
  test("a call without a token is refused as UNAUTHENTICATED", async () => {
    const anonymous = createRunyardClient({ baseUrl: server.baseUrl });
    const err = await rejection(anonymous.runs.listRuns({ parent: AUTO }));
    assert.equal(err.code, Code.Unauthenticated);
    assert.equal(err.reason, "TOKEN_MISSING");
    assert.equal(err.errorInfo?.domain, "runyard.dev");
  });

  test("an unknown token is refused; health needs none", async () => {
    const stranger = createRunyardClient({ baseUrl: server.baseUrl, token: "ryd_not-a-real-token" });
    const err = await rejection(stranger.runs.getRun({ name: `${AUTO}/runs/r1` }));
    assert.equal(err.code, Code.Unauthenticated);
    assert.ok(err.reason.startsWith("TOKEN_"), err.reason);
    const reply = await stranger.health.check({});
    assert.equal(reply.status, health.HealthCheckResponse_ServingStatus.SERVING);
  });

  test("an admin issues a viewer token through TokenService; a viewer may list but not create runs", async () => {
    const issued = await client.tokens.createToken({
      parent: "organizations/ts",
      token: { role: Token_Role.VIEWER, displayName: "ts viewer" },
    });
    assert.ok(issued.secret);
    const viewer = createRunyardClient({ baseUrl: server.baseUrl, token: issued.secret });
    const page = await viewer.runs.listRuns({ parent: AUTO, pageSize: 1 });
    assert.equal(page.runs.length, 1);
    const err = await rejection(viewer.runs.createRun({ parent: AUTO, run: {} }));
    assert.equal(err.code, Code.PermissionDenied);
    assert.ok(err.reason);
  });
});
