import type { Interceptor } from "@connectrpc/connect";

/** A token secret, or a function that returns the current one (e.g. after a rotation). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * Sends `authorization: Bearer <secret>` with every call that does not already
 * carry an authorization header (a per-call header wins).
 */
export function bearerToken(token: TokenSource): Interceptor {
  return (next) => async (req) => {
    if (!req.header.has("authorization")) {
      const secret = typeof token === "function" ? await token() : token;
      req.header.set("authorization", `Bearer ${secret}`);
    }
    return next(req);
  };
}
