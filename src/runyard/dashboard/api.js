// The public REST API (/v1/...), with the user's token from session storage.

const TOKEN_KEY = "runyard.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) || "",
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// google.rpc.Code names, for messages people read.
const CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
  "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
  "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];

// A google.rpc.Status from the gateway, as an Error.
export class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.code = CODES[status.code] || `HTTP ${httpStatus}`;
    const details = status.details || [];
    const info = details.find((d) => d["@type"]?.endsWith("google.rpc.ErrorInfo"));
    this.reason = info?.reason || "";
    this.metadata = info?.metadata || {};
    const bad = details.find((d) => d["@type"]?.endsWith("google.rpc.BadRequest"));
    this.violations = bad?.fieldViolations || [];
  }

  get needsToken() {
    return this.code === "UNAUTHENTICATED" || this.code === "PERMISSION_DENIED";
  }
}

// Calls /v1/{path}; query values that are empty are left out.
export async function api(path, { method = "GET", query = {}, body } = {}) {
  const url = new URL(`/v1/${path}`, location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  const secret = token.get();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Every page of a list (bounded: at most `maxPages` calls).
export async function listAll(path, field, query = {}, maxPages = 20) {
  const items = [];
  let pageToken = "";
  for (let i = 0; i < maxPages; i++) {
    const page = await api(path, { query: { ...query, page_size: 1000, page_token: pageToken } });
    items.push(...(page[field] || []));
    pageToken = page.nextPageToken || "";
    if (!pageToken) break;
  }
  return items;
}

// A server-streaming method as NDJSON ({"result": …} or {"error": …} per line):
// calls onMessage(result) for each message until the stream ends, `signal`
// aborts it, or an error arrives (thrown as ApiError).
export async function stream(path, { query = {}, signal, onMessage }) {
  const url = new URL(`/v1/${path}`, location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/x-ndjson" };
  const secret = token.get();
  if (secret) headers.Authorization = `Bearer ${secret}`;
  const response = await fetch(url, { headers, signal });
  if (!response.ok) {
    let data = {};
    try { data = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.error) throw new ApiError(500, message.error);
      onMessage(message.result);
    }
  }
}
