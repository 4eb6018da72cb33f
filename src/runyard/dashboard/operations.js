// Long-running operations (bulk actions on runs) of a workspace: a list with
// progress counts and state, and one operation with its progress, the runs it
// could not change and a Cancel button. Both re-read while work is going on.

import { api } from "./api.js";
import { errorPanel, fmtTime, h, lastSegment } from "./dom.js";

const PAGE_SIZE = 25;
const REFRESH_MS = 2000;
const COUNTS = [["matchedCount", "Matched"], ["doneCount", "Done"],
  ["failedCount", "Failed"], ["skippedCount", "Skipped"]];

const count = (meta, key) => Number(meta?.[key] || 0);

export function opState(state) {
  return h("span", { class: `state op-${state || "UNSPECIFIED"}` }, state || "—");
}

// Runs visited, as a bar: the server counts matches as it walks, so until the
// operation is done there is no total and the bar only says it is busy.
function progressBar(op) {
  const meta = op.metadata || {};
  const matched = count(meta, "matchedCount");
  const visited = count(meta, "doneCount") + count(meta, "failedCount") + count(meta, "skippedCount");
  if (!op.done) {
    return h("span", { class: "op-progress" }, h("progress", {}), ` ${visited} visited so far`);
  }
  const bar = h("progress", { max: matched || 1, value: matched ? visited : 1 });
  return h("span", { class: "op-progress" }, bar, ` ${visited} / ${matched}`);
}

function what(meta) {
  const parent = (meta.parent || "").replace(/^.*\/automations\//, "");
  const runs = meta.nameCount ? `${meta.nameCount} named runs` : meta.filter || "every run";
  return `${parent === "-" ? "all automations" : parent}: ${runs}`;
}

function row(op) {
  const meta = op.metadata || {};
  return h("tr", { "data-name": op.name, "data-state": meta.state || "" },
    h("td", {}, h("a", { href: `#/operation/${op.name}`, class: "op-link" }, lastSegment(op.name))),
    h("td", {}, meta.action || ""),
    h("td", {}, opState(meta.state)),
    h("td", {}, progressBar(op)),
    COUNTS.map(([key]) => h("td", { class: "num", "data-count": key }, count(meta, key))),
    h("td", {}, fmtTime(meta.createTime)),
    h("td", { class: "muted" }, what(meta)));
}

// A timer that re-reads while `busy()` says work is going on; stop() ends it.
function poller(read) {
  let timer = null;
  let stopped = false;
  const next = (busy) => {
    clearTimeout(timer); // one timer, however often a page is (re)loaded
    if (!stopped && busy) timer = setTimeout(async () => next(await read()), REFRESH_MS);
  };
  return { next, stop: () => { stopped = true; clearTimeout(timer); } };
}

export async function renderOperations(root, workspace, params, current) {
  const filter = params.get("filter") || "";
  const tokens = [""];
  const status = h("div", { id: "status" });
  const table = h("table", { id: "operations", class: "grid" });
  const prev = h("button", { id: "prev", type: "button", disabled: true }, "◀ Previous");
  const next = h("button", { id: "next", type: "button", disabled: true }, "Next ▶");
  const choice = h("select", { id: "op-filter", "aria-label": "which operations" },
    [["", "all operations"], ["done = false", "not done"], ["done = true", "done"]]
      .map(([value, label]) => h("option", { value }, label)));
  choice.value = filter;
  choice.addEventListener("change", () => {
    const q = choice.value ? `?filter=${encodeURIComponent(choice.value)}` : "";
    location.hash = `#/operations/${workspace}${q}`;
  });
  root.append(
    h("h1", {}, "Operations ", h("span", { class: "muted" }, workspace)),
    h("p", { class: "hint" }, "Bulk actions on runs (runyard runs batch-cancel … or the API's ",
      h("code", {}, "runs:batchCancel"), "), newest first."),
    h("form", { class: "inline" }, choice), status, table, h("div", { class: "pager" }, prev, next));

  let index = 0;
  const load = async () => {
    try {
      const page = await api(`${workspace}/operations`, {
        query: { filter, page_size: PAGE_SIZE, page_token: tokens[index] } });
      if (!current()) return false;
      const ops = page.operations || [];
      status.replaceChildren(ops.length ? "" : h("p", { class: "muted" }, "No operations."));
      table.replaceChildren(
        h("thead", {}, h("tr", {}, ["Operation", "Action", "State", "Progress",
          ...COUNTS.map(([, title]) => title), "Created", "Runs"].map((t) => h("th", {}, t)))),
        h("tbody", {}, ops.map(row)));
      tokens.length = index + 1;
      if (page.nextPageToken) tokens.push(page.nextPageToken);
      prev.disabled = index === 0;
      next.disabled = !page.nextPageToken;
      return ops.some((op) => !op.done);
    } catch (err) {
      if (current()) status.replaceChildren(errorPanel(err));
      return false;
    }
  };
  const polling = poller(load);
  const go = async (i) => { index = i; polling.next(await load()); };
  prev.onclick = () => go(index - 1);
  next.onclick = () => go(index + 1);
  await go(0);
  return polling.stop;
}

function fields(op) {
  const meta = op.metadata || {};
  const error = op.error ? `${op.error.message || ""} (code ${op.error.code || 0})` : "";
  const rows = [
    ["Name", op.name],
    ["Action", meta.action],
    ["State", opState(meta.state)],
    ["Progress", progressBar(op)],
    ...COUNTS.map(([key, title]) => [title, String(count(meta, key))]),
    ["Runs of", meta.parent && h("a", { href: `#/runs/${meta.parent}` }, meta.parent)],
    ["Filter", meta.filter && h("code", {}, meta.filter)],
    ["Named runs", meta.nameCount],
    ["Reason", meta.reason],
    ["Requester", meta.requester],
    ["Rate cap", meta.maxRunsPerSecond && `${meta.maxRunsPerSecond} runs/s`],
    ["Cancel asked", meta.cancelRequested && "yes"],
    ["Error", error],
    ["Created", fmtTime(meta.createTime)],
    ["Started", fmtTime(meta.startTime)],
    ["Updated", fmtTime(meta.updateTime)],
    ["Ended", fmtTime(meta.endTime)],
  ];
  return h("dl", { id: "op-fields", class: "fields" }, rows
    .filter(([, value]) => value !== undefined && value !== null && value !== "" && value !== false)
    .map(([key, value]) => [h("dt", {}, key), h("dd", { "data-field": key }, value)]));
}

function failureRow(f) {
  return h("tr", { "data-run": f.run, "data-skipped": f.skipped ? "true" : "false" },
    h("td", {}, h("a", { href: `#/run/${f.run}` }, f.run.replace(/^.*\/automations\//, ""))),
    h("td", {}, f.skipped ? "skipped" : "failed"),
    h("td", {}, f.status?.message || ""),
    h("td", {}, fmtTime(f.createTime)));
}

// The runs not changed, page by page ("More" appends the next page).
function failureList(name) {
  const table = h("table", { id: "failures", class: "grid" },
    h("thead", {}, h("tr", {}, ["Run", "Outcome", "Why", "When"].map((t) => h("th", {}, t)))));
  const body = h("tbody", {});
  const more = h("button", { id: "more-failures", type: "button", hidden: true }, "More");
  const note = h("p", { class: "muted", id: "no-failures" }, "Every run visited was changed.");
  let token = "";
  const read = async (first) => {
    const page = await api(`${name}/failures`, { query: { page_size: 50, page_token: token } });
    if (first) body.replaceChildren();
    body.append(...(page.failures || []).map(failureRow));
    token = page.nextPageToken || "";
    more.hidden = !token;
    note.hidden = body.children.length > 0;
    table.hidden = !note.hidden;
  };
  more.onclick = () => read(false);
  table.append(body);
  return { box: h("div", {}, note, table, more), reload: () => { token = ""; return read(true); } };
}

export async function renderOperation(root, name, _params, current) {
  const status = h("div", { id: "status" });
  const head = h("div", { class: "run-head" });
  const body = h("div", {});
  const failures = failureList(name);
  root.append(h("h1", {}, "Operation ", h("span", { class: "muted" }, lastSegment(name))),
    status, head, body, h("h2", {}, "Runs not changed"), failures.box);

  const show = (op) => {
    const cancel = h("button", { id: "cancel-operation", type: "button",
      class: "action action-cancel", disabled: Boolean(op.done), onclick: () => stop() },
    "Cancel operation");
    head.replaceChildren(h("div", { id: "op-state", class: "big-state" },
      opState(op.metadata?.state)), h("div", { class: "actions" }, cancel));
    body.replaceChildren(fields(op));
  };
  const load = async () => {
    try {
      const op = await api(name);
      if (!current()) return false;
      show(op);
      await failures.reload();
      return !op.done;
    } catch (err) {
      if (current()) status.replaceChildren(errorPanel(err));
      return false;
    }
  };
  const polling = poller(load);
  const stop = async () => {
    status.replaceChildren();
    try {
      show(await api(`${name}:cancel`, { method: "POST", body: {} }));
      await failures.reload();
    } catch (err) {
      status.append(errorPanel(err));
    }
  };
  polling.next(await load());
  return polling.stop;
}
