// Runs of an automation, or of every automation of a workspace ("-"): an
// AIP-160 filter box, columns sorted through order_by, pages through page tokens.

import { api, listAll } from "./api.js";
import { errorPanel, fmtDuration, fmtTime, h, lastSegment, stateBadge, workspaceOf } from "./dom.js";

const PAGE_SIZE = 25;
const COLUMNS = [
  { title: "Run" },
  { title: "State", field: "state" },
  { title: "Trigger" },
  { title: "Created", field: "create_time" },
  { title: "Started", field: "start_time" },
  { title: "Duration", field: "duration" },
  { title: "Attempt", field: "attempt" },
];

export function runsHash(parent, params) {
  const query = new URLSearchParams();
  for (const key of ["filter", "order_by"]) if (params[key]) query.set(key, params[key]);
  const text = query.toString();
  return `#/runs/${parent}${text ? `?${text}` : ""}`;
}

function header(parent, orderBy, filter) {
  const [field, direction] = (orderBy || "create_time desc").split(/\s+/);
  return h("tr", {}, COLUMNS.map((col) => {
    if (!col.field) return h("th", {}, col.title);
    const active = col.field === field;
    const next = active && direction === "desc" ? col.field : `${col.field} desc`;
    const arrow = active ? (direction === "desc" ? " ▼" : " ▲") : "";
    return h("th", { class: active ? "sorted" : "" },
      h("a", { href: runsHash(parent, { filter, order_by: next }), "data-field": col.field },
        col.title + arrow));
  }));
}

function row(run, wildcard) {
  const id = lastSegment(run.name);
  const label = wildcard ? `${run.name.split("/")[5]} / ${id}` : id;
  return h("tr", { "data-name": run.name, "data-state": run.state },
    h("td", {}, h("a", { href: `#/run/${run.name}`, class: "run-link" }, label)),
    h("td", {}, stateBadge(run.state)),
    h("td", {}, run.trigger || ""),
    h("td", {}, fmtTime(run.createTime)),
    h("td", {}, fmtTime(run.startTime)),
    h("td", { class: "num" }, fmtDuration(run.duration)),
    h("td", { class: "num" }, run.attempt ?? ""));
}

async function automationPicker(parent) {
  const workspace = workspaceOf(parent);
  const select = h("select", { id: "automation", "aria-label": "automation" },
    h("option", { value: `${workspace}/automations/-` }, "every automation"));
  select.value = parent;
  select.addEventListener("change", () => { location.hash = runsHash(select.value, {}); });
  try {
    for (const a of await listAll(`${workspace}/automations`, "automations")) {
      select.append(h("option", { value: a.name }, a.displayName || lastSegment(a.name)));
    }
    select.value = parent;
  } catch {
    // The table below shows the error that matters.
  }
  return select;
}

export async function renderRuns(root, parent, params, current) {
  const filter = params.get("filter") || "";
  const orderBy = params.get("order_by") || "";
  const tokens = [""]; // page tokens of the pages seen, for Previous
  const filterInput = h("input", {
    id: "filter", name: "filter", value: filter, spellcheck: "false",
    placeholder: 'state = FAILED AND create_time >= "2026-11-01T00:00:00Z"',
  });
  const status = h("div", { id: "status" });
  const table = h("table", { id: "runs", class: "grid" });
  const summary = h("span", { id: "page-summary", class: "muted" });
  const prev = h("button", { id: "prev", type: "button", disabled: true }, "◀ Previous");
  const next = h("button", { id: "next", type: "button", disabled: true }, "Next ▶");

  root.append(
    h("h1", {}, "Runs ", h("span", { class: "muted" }, parent.replace(/\/automations\/-$/, ""))),
    h("form", { id: "filter-form", class: "inline", onsubmit: (e) => {
      e.preventDefault();
      location.hash = runsHash(parent, { filter: filterInput.value.trim(), order_by: orderBy });
    } },
      await automationPicker(parent),
      h("label", { for: "filter" }, "Filter"), filterInput,
      h("button", { id: "apply-filter", type: "submit" }, "Apply"),
      h("a", { href: "https://google.aip.dev/160", class: "hint", rel: "noreferrer" }, "AIP-160")),
    status, table, h("div", { class: "pager" }, prev, next, summary));

  const load = async (index) => {
    status.replaceChildren();
    try {
      const page = await api(`${parent}/runs`, { query: {
        filter, order_by: orderBy, page_size: PAGE_SIZE, page_token: tokens[index],
        show_total_size: true,
      } });
      if (!current()) return;
      const runs = page.runs || [];
      table.replaceChildren(h("thead", {}, header(parent, orderBy, filter)),
        h("tbody", {}, runs.map((r) => row(r, parent.endsWith("/-")))));
      if (!runs.length) status.append(h("p", { class: "muted" }, "No runs match."));
      tokens.length = index + 1;
      if (page.nextPageToken) tokens.push(page.nextPageToken);
      prev.disabled = index === 0;
      next.disabled = !page.nextPageToken;
      const first = index * PAGE_SIZE + 1;
      summary.textContent = runs.length
        ? `${first}–${first + runs.length - 1} of ${page.totalSize ?? runs.length}` : "";
      prev.onclick = () => load(index - 1);
      next.onclick = () => load(index + 1);
    } catch (err) {
      table.replaceChildren();
      status.append(errorPanel(err));
    }
  };
  await load(0);
}
