// Daily runs by state as stacked bars, drawn in SVG (no library needed).

import { STATES, h, s } from "./dom.js";

const WIDTH = 900;
const HEIGHT = 260;
const MARGIN = { top: 12, right: 12, bottom: 36, left: 44 };

const iso = (d) =>
  `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `value`.
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return value;
}

export function dailyChart(days, timeZone) {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = niceMax(Math.max(0, ...days.map((d) => Number(d.totalRuns || 0))));
  const slot = plotW / Math.max(1, days.length);
  const barW = Math.max(2, slot * 0.72);
  const y = (v) => MARGIN.top + plotH - (v / top) * plotH;
  const svg = s("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img",
    "aria-label": `runs per day by state, ${timeZone}`,
  });
  for (const tick of [0, top / 2, top]) {
    svg.append(s("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(tick), y2: y(tick),
      class: "gridline" }),
    s("text", { x: MARGIN.left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end" },
      String(tick)));
  }
  const labelEvery = Math.ceil(days.length / 10);
  days.forEach((day, i) => {
    const x = MARGIN.left + i * slot + (slot - barW) / 2;
    const counts = day.stateCounts || {};
    const group = s("g", { class: "day", "data-date": iso(day.date), "data-total": day.totalRuns || 0 });
    let base = 0;
    for (const state of STATES) {
      const n = Number(counts[state.toLowerCase()] || 0);
      if (!n) continue;
      group.append(s("rect", { x, width: barW, y: y(base + n), height: y(base) - y(base + n),
        class: `bar fill-${state}`, "data-state": state },
      s("title", {}, `${iso(day.date)} ${state.toLowerCase()}: ${n}`)));
      base += n;
    }
    if (i % labelEvery === 0) {
      group.append(s("text", { x: x + barW / 2, y: HEIGHT - MARGIN.bottom + 16, class: "axis",
        "text-anchor": "middle" }, iso(day.date).slice(5)));
    }
    svg.append(group);
  });
  const legend = h("div", { class: "legend" }, STATES.map((state) =>
    h("span", {}, h("span", { class: `swatch fill-${state}` }), state.toLowerCase())));
  return h("figure", { id: "daily-chart", "data-time-zone": timeZone, "data-days": days.length },
    svg, legend);
}
