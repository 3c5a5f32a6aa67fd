import { request, type Dispatcher } from 'undici';

// Statuses whose Response may not carry a body (the Fetch standard's "null body status").
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

/**
 * The body handed to the fetch function beside the Request rather than inside it. ky passes options
 * it does not know to `fetch` as its second argument (as it does for Next.js's `next`); a body given
 * this way skips the Request's stream, which ky would otherwise tee for a retry we never make.
 */
export interface RawBodyInit {
  rawBody?: string;
  /**
   * Aborts the exchange, headers or body, in place of the Request's signal. Handed beside the
   * Request for the same reason: a signal given to ky is joined to ky's own with AbortSignal.any, and
   * ky's own stops mattering once the headers are in.
   */
  abort?: AbortSignal;
}

/**
 * A Fetch API function on `undici.request`, for ky's `fetch` option. Node's built-in fetch costs
 * several times as much CPU per call (WHATWG streams for the body both ways, and ky clones every
 * Request; bench/README.md, "Measured costs"); undici's own request API does the same exchange for a
 * fraction of it. It follows no
 * redirects and retries nothing; connection errors keep undici's codes (ECONNREFUSED, UND_ERR_SOCKET…).
 */
export function createUndiciFetch(dispatcher?: Dispatcher): typeof globalThis.fetch {
  return async (input, init) => {
    // ky always passes a Request; duck-typed, since it may come from another realm (a test sandbox).
    const req = typeof input === 'object' && 'method' in input ? input : new Request(input, init);
    const { rawBody: raw, abort } = (init as RawBodyInit | undefined) ?? {};
    const body = raw ?? (req.body ? Buffer.from(await req.arrayBuffer()) : undefined);
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const answer = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body,
      signal: abort ?? req.signal,
      ...(dispatcher ? { dispatcher } : {}),
    });
    const status = answer.statusCode;
    const responseHeaders = toHeaders(answer.headers);
    if (NULL_BODY_STATUS.has(status) || req.method === 'HEAD') {
      answer.body.resume();
      return new Response(null, { status, headers: responseHeaders });
    }
    if (status < 200 || status > 599) {
      // A Response cannot hold such a status; report it as the protocol error it is.
      answer.body.on('error', () => {}).destroy();
      throw Object.assign(new Error(`upstream answered with HTTP status ${status}`), { code: 'UND_ERR_INVALID_STATUS' });
    }
    return new Response(answer.body as unknown as ReadableStream, { status, headers: responseHeaders });
  };
}
