// One run: its fields, its event timeline, and the lifecycle actions, each a
// POST to the REST API (pause asks for a reason; cancel takes an optional one).

import { api, listAll, stream } from "./api.js";
import { errorPanel, fmtDuration, fmtTime, h, lastSegment, stateBadge } from "./dom.js";

// Which actions each state allows (the server decides; this only greys buttons out).
const ACTIONS = {
  pause: ["QUEUED", "RUNNING"],
  continue: ["PAUSED"],
  cancel: ["QUEUED", "RUNNING", "PAUSED"],
  retry: ["FAILED", "CANCELLED"],
};

function fields(run) {
  const rows = [
    ["Name", run.name],
    ["State", stateBadge(run.state)],
    ["Trigger", run.trigger],
    ["Attempt", run.attempt],
    ["Started by", run.startedBy],
    ["Caller", run.caller],
    ["Created", fmtTime(run.createTime)],
    ["Started", fmtTime(run.startTime)],
    ["Ended", fmtTime(run.endTime)],
    ["Duration", fmtDuration(run.duration)],
    ["End reason", run.endReason],
    ["Exit code", run.exitCode],
    ["Failure", run.failure?.message],
    ["Paused by", run.pausedBy],
    ["Pause reason", run.pauseReason],
    ["Paused at", fmtTime(run.pauseTime)],
    ["Retry of", run.retriedRun && h("a", { href: `#/run/${run.retriedRun}` }, lastSegment(run.retriedRun))],
    ["Labels", Object.entries(run.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ")],
    ["Trace", run.traceId],
  ];
  return h("dl", { id: "run-fields", class: "fields" }, rows
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([key, value]) => [h("dt", {}, key), h("dd", { "data-field": key }, value)]));
}

function eventDetail(event) {
  const sc = event.stateChange;
  if (sc) {
    // A run's first event leaves no state: it is the run's creation.
    const from = sc.fromState ? stateBadge(sc.fromState) : h("span", { class: "created" }, "created");
    return [from, " → ", stateBadge(sc.toState),
      sc.actor ? ` by ${sc.actor}` : "", sc.reason ? `: ${sc.reason}` : ""];
  }
  const j = event.journal;
  if (j) {
    const payload = j.payload ? JSON.stringify(j.payload) : "";
    return [h("code", {}, j.nodeKind || ""), ` ${j.nodeId || ""} `,
      h("span", { class: "muted" }, payload.length > 120 ? `${payload.slice(0, 120)}…` : payload)];
  }
  return [];
}

// The timeline: events in sequence order, each once, however they arrive.
function timeline() {
  const list = h("ol", { id: "events", class: "timeline" });
  let last = 0;
  return {
    list,
    get last() { return last; },
    add(e) {
      const sequence = Number(e.sequence);
      if (sequence <= last) return false;
      last = sequence;
      list.append(h("li", { class: `event event-${e.type}`, "data-sequence": e.sequence },
        h("span", { class: "seq" }, `#${e.sequence}`),
        h("time", {}, fmtTime(e.createTime)), " ",
        ...eventDetail(e)));
      return true;
    },
  };
}

export async function renderRun(root, name, _params, current) {
  const status = h("div", { id: "status" });
  const head = h("div", { class: "run-head" });
  const body = h("div", { class: "run-body" });
  const live = h("span", { id: "live", class: "live", hidden: true }, "● live");
  const events = timeline();
  const reasonInput = h("input", { id: "reason", name: "reason", placeholder: "why?" });
  const reasonForm = h("form", { id: "reason-form", class: "inline", hidden: true });
  const watching = new AbortController();
  root.append(h("h1", {}, "Run ", h("span", { class: "muted" }, lastSegment(name))),
    status, head, reasonForm, body,
    h("section", { class: "events" }, h("h2", {}, "Timeline ", live), events.list));

  const show = (run) => {
    const buttons = Object.entries(ACTIONS).map(([action, from]) =>
      h("button", { id: action, type: "button", class: `action action-${action}`,
        disabled: !from.includes(run.state), onclick: () => start(action, run) },
      action[0].toUpperCase() + action.slice(1)));
    head.replaceChildren(h("div", { id: "run-state", class: "big-state" }, stateBadge(run.state)),
      h("div", { class: "actions" }, buttons));
    body.replaceChildren(fields(run));
  };

  const refresh = async () => {
    try {
      const run = await api(name);
      if (current()) show(run);
    } catch (err) {
      status.replaceChildren(errorPanel(err));
    }
  };

  // Polled reading, for when the stream is not there or has ended.
  const readEvents = async () => {
    for (const e of await listAll(`${name}/events`, "runEvents", {}, 10)) events.add(e);
  };

  // The timeline live: each event as it is committed after those read;
  // a state change also refreshes the run's fields and buttons.
  const follow = async () => {
    live.hidden = false;
    try {
      await stream(`${name}/events:watch`, {
        query: { after_sequence: events.last }, signal: watching.signal,
        onMessage: (m) => {
          if (m.event && events.add(m.event) && m.event.stateChange) refresh();
        },
      });
    } catch (err) {
      if (err.name !== "AbortError") await readEvents().catch(() => {});
    } finally {
      live.hidden = true;
    }
  };

  const act = async (action, run, reason) => {
    status.replaceChildren();
    try {
      const payload = { etag: run.etag };
      if (action === "pause" || action === "cancel") payload.reason = reason;
      const result = await api(`${name}:${action}`, { method: "POST", body: payload });
      reasonForm.hidden = true;
      if (action === "retry") {
        location.hash = `#/run/${result.name}`;
        return;
      }
      show(result);
      if (live.hidden) await readEvents();
    } catch (err) {
      status.append(errorPanel(err));
    }
  };

  // Pause needs a reason and cancel may take one: both ask first.
  const start = (action, run) => {
    if (action !== "pause" && action !== "cancel") {
      act(action, run);
      return;
    }
    reasonInput.value = "";
    reasonInput.required = action === "pause";
    reasonForm.replaceChildren(
      h("label", { for: "reason" }, action === "pause" ? "Reason to pause" : "Reason to cancel (optional)"),
      reasonInput,
      h("button", { id: "confirm", type: "submit" }, action === "pause" ? "Pause run" : "Cancel run"),
      h("button", { type: "button", onclick: () => { reasonForm.hidden = true; } }, "Back"));
    reasonForm.onsubmit = (e) => {
      e.preventDefault();
      act(action, run, reasonInput.value.trim());
    };
    reasonForm.hidden = false;
    reasonInput.focus();
  };

  try {
    show(await api(name));
    await readEvents();
    follow(); // from the last event read on: every event it brings is news
  } catch (err) {
    status.append(errorPanel(err));
  }
  return () => watching.abort();
}
