import { Code, ConnectError } from "@connectrpc/connect";

export interface ResumeOptions<P> {
  /** Where the first stream starts; `undefined` lets the server choose (usually "now"). */
  start?: P;
  /** Stops the iteration (and the open stream) when aborted. */
  signal?: AbortSignal;
  /** Reconnection attempts in a row without receiving anything before giving up (default 20). */
  maxAttempts?: number;
  /** First delay before reconnecting, doubled after each failed attempt (default 100 ms). */
  initialDelayMs?: number;
  /** Longest delay between attempts (default 2,000 ms). */
  maxDelayMs?: number;
  /** Which failures are a disconnect worth resuming after (default: see `isDisconnect`). */
  retryable?: (err: ConnectError) => boolean;
  /** Called before each reconnection, e.g. for logging. */
  onReconnect?: (err: ConnectError, attempt: number, resumeFrom: P | undefined) => void;
}

/**
 * Codes a broken connection or a restarting server produce: UNAVAILABLE while
 * nothing listens; CANCELLED or ABORTED when the connection dies under an open
 * stream (an HTTP/2 CANCEL or a reset socket, though the caller cancelled
 * nothing: `resumable` returns quietly when the caller's own signal aborts).
 * A status the server chose (INTERNAL, INVALID_ARGUMENT, PERMISSION_DENIED,
 * OUT_OF_RANGE for a position too old, ...) is never retried by default.
 */
export function isDisconnect(err: ConnectError): boolean {
  return [Code.Unavailable, Code.Canceled, Code.Aborted].includes(err.code);
}

/**
 * An endless view of a server-streaming call that survives disconnects: `open`
 * starts the stream from a position (`undefined` the first time unless `start`
 * is given), `position` reads the position of each received item (`undefined`
 * keeps the last one, e.g. for a heartbeat without a position), and after a
 * retryable failure the stream is opened again from the last position received,
 * with a growing delay. Ends when a stream ends normally or `signal` aborts.
 * Annotate `open`'s first parameter: TypeScript cannot infer the position type
 * from the two callbacks alone.
 *
 *     for await (const msg of resumable(
 *       (from: bigint | undefined, signal) => client.runs.watchRunEvents({ parent: run, afterSequence: from, follow: true }, { signal }),
 *       (msg) => (msg.kind.case === "event" ? msg.kind.value.sequence : undefined))) { ... }
 */
export async function* resumable<T, P>(
  open: (resumeFrom: P | undefined, signal: AbortSignal) => AsyncIterable<T>,
  position: (item: T) => P | undefined,
  options: ResumeOptions<P> = {},
): AsyncGenerator<T, void, undefined> {
  const maxAttempts = options.maxAttempts ?? 20;
  const retryable = options.retryable ?? isDisconnect;
  let delay = options.initialDelayMs ?? 100;
  let from = options.start;
  let failures = 0;
  for (;;) {
    const stream = new AbortController();
    const stop = () => stream.abort();
    options.signal?.addEventListener("abort", stop);
    try {
      for await (const item of open(from, stream.signal)) {
        from = position(item) ?? from;
        failures = 0;
        delay = options.initialDelayMs ?? 100;
        yield item;
      }
      return;
    } catch (raw) {
      const err = ConnectError.from(raw);
      if (options.signal?.aborted) return;
      failures += 1;
      if (!retryable(err) || failures > maxAttempts) throw err;
      options.onReconnect?.(err, failures, from);
    } finally {
      options.signal?.removeEventListener("abort", stop);
      stream.abort();
    }
    await sleep(delay, options.signal);
    delay = Math.min(delay * 2, options.maxDelayMs ?? 2000);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
