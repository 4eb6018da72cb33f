// The dashboard: a hash router over three pages, and the token panel.
//   #/                         organizations and their workspaces
//   #/workspace/{workspace}    daily runs by state and per-automation totals
//   #/runs/{automation}?…      runs of an automation ("-": of the whole workspace)
//   #/run/{run}                one run, its timeline and its actions
//   #/operations/{workspace}?… the workspace's operations (bulk actions on runs)
//   #/operation/{operation}    one operation, the runs it did not change, Cancel

import { api, token } from "./api.js";
import { errorPanel, h, lastSegment, upTo } from "./dom.js";
import { renderOperation, renderOperations } from "./operations.js";
import { renderRun } from "./run.js";
import { renderRuns } from "./runs.js";
import { renderWorkspace } from "./workspace.js";

const view = document.getElementById("view");
const crumbs = document.getElementById("crumbs");
const ORG_KEY = "runyard.organization";

function setCrumbs(name) {
  crumbs.replaceChildren();
  if (!name) return;
  const ws = upTo(name, "workspaces");
  crumbs.append(h("a", { href: `#/workspace/${ws}` }, ws.replace(/^organizations\//, "")));
  if (name.includes("/automations/")) {
    const automation = upTo(name, "automations");
    const label = automation.endsWith("/-") ? "all automations" : lastSegment(automation);
    crumbs.append(" / ", h("a", { href: `#/runs/${automation}` }, label));
  }
  if (name.includes("/runs/")) crumbs.append(" / ", lastSegment(name));
  if (name.includes("/operations/") || (name === ws && location.hash.startsWith("#/operations/"))) {
    crumbs.append(" / ", h("a", { href: `#/operations/${ws}` }, "operations"));
    if (name.includes("/operations/")) crumbs.append(" / ", lastSegment(name));
  }
}

async function renderHome(root) {
  const org = sessionStorage.getItem(ORG_KEY) || "demo";
  const list = h("div", { id: "workspaces" });
  const input = h("input", { id: "organization", name: "organization", value: org });
  const load = async () => {
    sessionStorage.setItem(ORG_KEY, input.value.trim());
    list.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const page = await api(`organizations/${input.value.trim()}/workspaces`);
      const items = (page.workspaces || []).map((w) => h("li", {},
        h("a", { href: `#/workspace/${w.name}` }, w.displayName || w.name), " ",
        h("span", { class: "muted" }, w.name), " · ",
        h("a", { href: `#/runs/${w.name}/automations/-` }, "runs"), " · ",
        h("a", { href: `#/operations/${w.name}` }, "operations")));
      list.replaceChildren(items.length ? h("ul", {}, items) : h("p", {}, "No workspaces."));
    } catch (err) {
      list.replaceChildren(errorPanel(err));
    }
  };
  root.append(
    h("h1", {}, "Workspaces"),
    h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); load(); } },
      h("label", { for: "organization" }, "Organization"), input,
      h("button", { type: "submit" }, "Show")),
    list);
  await load();
}

const ROUTES = [
  [/^\/workspace\/(organizations\/[^/]+\/workspaces\/[^/]+)$/, renderWorkspace],
  [/^\/runs\/(organizations\/[^/]+\/workspaces\/[^/]+\/automations\/[^/]+)$/, renderRuns],
  [/^\/run\/(organizations\/[^/]+\/workspaces\/[^/]+\/automations\/[^/]+\/runs\/[^/]+)$/, renderRun],
  [/^\/operations\/(organizations\/[^/]+\/workspaces\/[^/]+)$/, renderOperations],
  [/^\/operation\/(organizations\/[^/]+\/workspaces\/[^/]+\/operations\/[^/]+)$/, renderOperation],
];

let generation = 0;
let leave = null; // what the page being left stops (a live stream)

async function route() {
  const mine = ++generation;
  if (leave) leave();
  leave = null;
  const raw = location.hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = decodeURIComponent(q < 0 ? raw : raw.slice(0, q));
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const root = h("div", { class: "page" });
  view.replaceChildren(root);
  for (const [pattern, render] of ROUTES) {
    const match = pattern.exec(path);
    if (match) {
      setCrumbs(match[1]);
      const cleanup = await render(root, match[1], params, () => mine === generation);
      if (typeof cleanup === "function") {
        if (mine === generation) leave = cleanup;
        else cleanup();
      }
      return;
    }
  }
  setCrumbs("");
  await renderHome(root);
}

function setupToken() {
  const panel = document.getElementById("token-panel");
  const input = document.getElementById("token-input");
  const button = document.getElementById("token-button");
  const refresh = () => {
    button.textContent = token.get() ? "Token ✓" : "Token";
  };
  button.addEventListener("click", () => { panel.hidden = !panel.hidden; input.focus(); });
  document.getElementById("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    token.set(input.value.trim());
    input.value = "";
    panel.hidden = true;
    refresh();
    route();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    token.clear();
    refresh();
    route();
  });
  panel.hidden = Boolean(token.get());
  refresh();
}

setupToken();
window.addEventListener("hashchange", route);
route();
