import type { CallOptions } from "@connectrpc/connect";

/** What every AIP-158 List response has. */
export interface Page {
  nextPageToken: string;
}

/** A List method of a generated client, e.g. `client.runs.listRuns`. */
export type ListMethod<Req, Res extends Page> = (
  request: Req & { pageToken?: string },
  options?: CallOptions,
) => Promise<Res>;

/**
 * Every page of a List call, from the first until one without a next_page_token.
 * The request (filter, order_by, page_size, ...) is sent unchanged with each
 * page's token, as AIP-158 requires.
 */
export async function* pages<Req extends object, Res extends Page>(
  list: ListMethod<Req, Res>,
  request: Req,
  options?: CallOptions,
): AsyncGenerator<Res, void, undefined> {
  const seen = new Set<string>();
  let pageToken = "";
  for (;;) {
    const page = await list({ ...request, pageToken }, options);
    yield page;
    pageToken = page.nextPageToken;
    if (pageToken === "") return;
    // A server that hands out a token twice would make this loop forever.
    if (seen.has(pageToken)) throw new Error("List call returned a page token it returned before");
    seen.add(pageToken);
  }
}

/**
 * Every item of every page: `items(client.runs.listRuns, { parent, filter }, (p) => p.runs)`.
 */
export async function* items<Req extends object, Res extends Page, T>(
  list: ListMethod<Req, Res>,
  request: Req,
  select: (page: Res) => readonly T[],
  options?: CallOptions,
): AsyncGenerator<T, void, undefined> {
  for await (const page of pages(list, request, options)) yield* select(page);
}
