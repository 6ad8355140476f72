/**
 * The address a public form's rate limit counts. Behind a reverse proxy the socket's peer is the proxy, so
 * every reader would share one budget; with TRUST_PROXY=N (the number of proxies in front of Vedetta that
 * append to X-Forwarded-For) the client is the entry N places from the end of that header. Entries further
 * left were written by the client itself and are never trusted.
 */
export function clientAddressOf(request: Request, peer: () => string | undefined, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const chain = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const client = chain[chain.length - trustedProxies];
    if (client) return client;
  }
  try {
    return peer() || 'unknown';
  } catch {
    return 'unknown'; // not every adapter or test harness knows the peer; the per-address limits still apply
  }
}

/** The same for an Astro page or endpoint: reads TRUST_PROXY from the request's locals (set in src/fetch.ts). */
export function clientAddress(page: { request: Request; clientAddress: string; locals: App.Locals }): string {
  return clientAddressOf(page.request, () => page.clientAddress, page.locals.trustedProxies ?? 0);
}
