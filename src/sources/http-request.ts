import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { HttpError, badGateway, forbidden } from '../server/errors.js';
import { isUrlAllowed } from './allowlist.js';
import { assertPublicHost, publicOnlyLookup, type AddressRule } from './private-address.js';
import { redactUrl } from './redact.js';

export const MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// Keep-alive matters: a COG tile costs a few range reads against the same host. Sockets opened
// where every address is allowed are kept apart, so a stricter rule never reuses one.
const newAgents = () => ({ 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) });
const agents = { checked: newAgents(), unchecked: newAgents() };

export interface UpstreamRequest extends AddressRule {
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  /** Request body (POST). A 307/308 redirect sends it again; 301/302/303 turn a POST into a GET without it, as fetch does. */
  body?: string;
  signal: AbortSignal;
  /** Redirect targets must be in it too (and pass the address rule). */
  allowlist: string[];
}

/**
 * Sends the request and follows at most MAX_REDIRECTS redirects, each target re-checked against
 * the allowlist and the address rules. Returns the final response with its body unread.
 */
export async function requestFollowingRedirects(start: URL, request: UpstreamRequest): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const response = await send(url, request);
    const location = response.headers.location;
    const status = response.statusCode ?? 0;
    if (!REDIRECT_STATUSES.has(status) || !location) return response;
    response.resume(); // discard the redirect body so the socket can be reused
    if (hop === MAX_REDIRECTS) throw badGateway(`too many redirects (more than ${MAX_REDIRECTS}): ${redactUrl(start.href)}`);
    url = await checkRedirect(url, location, request);
    if (request.method === 'POST' && status !== 307 && status !== 308) request = withoutBody(request);
  }
}

function withoutBody({ body: _, headers, ...request }: UpstreamRequest): UpstreamRequest {
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-(type|length)$/i.test(name)));
  return { ...request, method: 'GET', headers: kept };
}

async function checkRedirect(from: URL, location: string, request: UpstreamRequest): Promise<URL> {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw badGateway(`invalid redirect from ${redactUrl(from.href)}`);
  }
  to.hash = '';
  const what = `redirect from ${redactUrl(from.href)} to ${redactUrl(to.href)}`;
  if ((to.protocol !== 'http:' && to.protocol !== 'https:') || !isUrlAllowed(to.href, request.allowlist)) {
    throw forbidden(`source not allowed: ${what} is not in SOURCE_ALLOWLIST`);
  }
  // Catches IP literals, which the connect-time lookup never sees; names are checked again there.
  await assertPublicHost(to.hostname, what, request);
  return to;
}

function send(url: URL, upstream: UpstreamRequest): Promise<IncomingMessage> {
  const { method, headers, body, signal } = upstream;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method,
      headers: { 'user-agent': 'kepler-raster-server', 'accept-encoding': 'identity', ...headers },
      signal,
      agent: agents[upstream.allowPrivateAddresses ? 'unchecked' : 'checked'][url.protocol as 'http:' | 'https:'],
      lookup: publicOnlyLookup(upstream),
    });
    request.once('response', resolve);
    // `on`, not `once`: keep listening after the response too; an 'error' nobody hears (say, from a
    // second destroy) would crash the process.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof HttpError || signal.aborted) reject(error);
      else reject(badGateway(`upstream request failed (${error.code ?? error.message}): ${redactUrl(url.href)}`));
    });
    request.end(body);
  });
}
