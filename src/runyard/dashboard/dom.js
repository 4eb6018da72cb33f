// Small DOM helpers and formatting shared by the views.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const s = (tag, attrs, ...children) =>
  build(document.createElementNS(SVG_NS, tag), attrs, children);

export const STATES = ["QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "CANCELLED"];

export function stateBadge(state) {
  return h("span", { class: `state state-${state || "UNSPECIFIED"}` }, state || "—");
}

const pad = (n) => String(n).padStart(2, "0");

// An RFC 3339 time in the browser's zone, "2026-11-30 14:02:07".
export function fmtTime(text) {
  if (!text) return "";
  const d = new Date(text);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// A proto3 JSON duration ("389.679387s") for people: "6m29s".
export function fmtDuration(text) {
  if (!text) return "";
  const total = parseFloat(text);
  if (Number.isNaN(total)) return text;
  if (total < 60) return `${total.toFixed(1)}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${pad(Math.floor(total % 60))}s`;
  return `${Math.floor(minutes / 60)}h${pad(minutes % 60)}m`;
}

export const fmtRate = (rate, counts) =>
  Number(counts?.succeeded || 0) + Number(counts?.failed || 0) ? `${(rate * 100).toFixed(1)}%` : "";

// The last segment of a resource name, and the name up to a collection.
export const lastSegment = (name) => name.slice(name.lastIndexOf("/") + 1);
export function upTo(name, collection) {
  const parts = name.split("/");
  const i = parts.indexOf(collection);
  return i < 0 ? name : parts.slice(0, i + 2).join("/");
}
export const workspaceOf = (name) => upTo(name, "workspaces");

// An ApiError as a panel: code, message, reason and field violations.
export function errorPanel(err) {
  const panel = h("div", { class: "error", role: "alert" },
    h("strong", {}, err.code || "Error"), ": ", err.message);
  if (err.reason) panel.append(h("span", { class: "reason" }, ` (${err.reason})`));
  const extra = (err.violations || []).filter((v) => !err.message.includes(v.description));
  if (extra.length) {
    panel.append(h("ul", {}, extra.map((v) => h("li", {}, `${v.field}: ${v.description}`))));
  }
  if (err.needsToken) {
    panel.append(h("p", {}, "Enter a token with the Token button above."));
    document.getElementById("token-panel").hidden = false;
  }
  return panel;
}
