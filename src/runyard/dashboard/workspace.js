// A workspace: daily runs by state in a chosen time zone (the browser's by
// default) and the per-automation totals.

import { api, listAll } from "./api.js";
import { dailyChart } from "./chart.js";
import { errorPanel, fmtDuration, fmtRate, fmtTime, h, lastSegment, stateBadge } from "./dom.js";

const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

// Today in `zone` as {year, month, day}, and `n` days before it.
function today(zone) {
  const [year, month, day] = new Intl.DateTimeFormat("en-CA", { timeZone: zone })
    .format(new Date()).split("-").map(Number);
  return { year, month, day };
}
function minusDays(d, n) {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day - n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function zonePicker(zone) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const select = h("select", { id: "time-zone", name: "tz" },
    [...new Set([BROWSER_ZONE, "UTC", ...zones])].map((z) => h("option", { value: z }, z)));
  select.value = zone;
  return select;
}

function automationTable(rows) {
  return h("table", { id: "automations", class: "grid" },
    h("thead", {}, h("tr", {}, ["Automation", "Runs", "Succeeded", "Failed", "Success rate",
      "p50", "p95", "Last run"].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((a) => h("tr", { "data-automation": a.automation },
      h("td", {}, h("a", { href: `#/runs/${a.automation}` }, lastSegment(a.automation))),
      h("td", { class: "num" }, a.totalRuns || "0"),
      h("td", { class: "num" }, a.stateCounts?.succeeded || "0"),
      h("td", { class: "num" }, a.stateCounts?.failed || "0"),
      h("td", { class: "num" }, fmtRate(a.successRate || 0, a.stateCounts)),
      h("td", { class: "num" }, fmtDuration(a.duration?.p50)),
      h("td", { class: "num" }, fmtDuration(a.duration?.p95)),
      h("td", {}, a.lastRun
        ? [h("a", { href: `#/run/${a.lastRun}` }, fmtTime(a.lastRunTime)), " ",
          stateBadge(a.lastRunState)]
        : "")))));
}

export async function renderWorkspace(root, workspace, params, current) {
  const zone = params.get("tz") || BROWSER_ZONE;
  const span = Number(params.get("days")) || 30;
  const picker = zonePicker(zone);
  const days = h("select", { id: "days", name: "days" },
    [7, 14, 30, 90, 365].map((n) => h("option", { value: n }, `${n} days`)));
  days.value = String(span);
  const go = () => {
    location.hash = `#/workspace/${workspace}?tz=${encodeURIComponent(picker.value)}&days=${days.value}`;
  };
  picker.addEventListener("change", go);
  days.addEventListener("change", go);
  const chartBox = h("section", { id: "daily" }, h("p", { class: "muted" }, "Loading…"));
  const tableBox = h("section", { id: "per-automation" });
  root.append(
    h("h1", {}, "Workspace ", h("span", { class: "muted" }, workspace)),
    h("p", {}, h("a", { href: `#/runs/${workspace}/automations/-`, id: "all-runs" }, "All runs →"),
      " · ", h("a", { href: `#/operations/${workspace}`, id: "operations-link" }, "Operations →")),
    h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); go(); } },
      h("label", { for: "time-zone" }, "Time zone"), picker,
      h("label", { for: "days" }, "Range"), days),
    h("h2", {}, "Runs per day by state"), chartBox,
    h("h2", {}, "Automations"), tableBox);

  const end = today(zone);
  const start = minusDays(end, span - 1);
  const query = { time_zone: zone };
  for (const [key, d] of [["start_date", start], ["end_date", end]]) {
    for (const part of ["year", "month", "day"]) query[`${key}.${part}`] = d[part];
  }
  const [daily, automations] = await Promise.allSettled([
    api(`${workspace}:dailyRunAggregates`, { query }),
    listAll(`${workspace}:automationRunAggregates`, "automationRunAggregates"),
  ]);
  if (!current()) return;
  chartBox.replaceChildren(daily.status === "fulfilled"
    ? dailyChart(daily.value.days || [], zone) : errorPanel(daily.reason));
  tableBox.replaceChildren(automations.status === "fulfilled"
    ? automationTable(automations.value) : errorPanel(automations.reason));
}
