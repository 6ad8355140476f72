/**
 * One HTTP POST to a partner's endpoint. Uses node:http(s) rather than fetch because its `lookup` hook lets the
 * SSRF guard check the address the socket actually connects to. Never follows redirects (a 3xx is a failure,
 * as Standard Webhooks says: only 2xx acknowledges), gives up after a deadline, and keeps at most a short excerpt
 * of the answer (a receiver's page is not ours to store).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { TargetRefused, guardedLookup, isForbiddenAddress } from './address.ts';

export const SEND_TIMEOUT_MS = 10_000;
export const EXCERPT_BYTES = 512;

export type SendResult = {
  ok: boolean;
  status: number | null;
  /** Why it failed (transport error, refused target, non-2xx), null on success. */
  error: string | null;
  /** The start of the response body, for the delivery log. */
  excerpt: string;
};

export async function postWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  opts: { allowPrivate: boolean; timeoutMs?: number },
): Promise<SendResult> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, status: null, error: 'the URL is not valid', excerpt: '' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && isIP(host) && isForbiddenAddress(host)) {
    return { ok: false, status: null, error: new TargetRefused(`refused: ${host} is a private, loopback, link-local or reserved address`).message, excerpt: '' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.allowPrivate)) {
    return { ok: false, status: null, error: 'refused: only https URLs are delivered', excerpt: '' };
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = opts.timeoutMs ?? SEND_TIMEOUT_MS;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(result);
    };
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Vedetta-Webhooks/1',
        },
        lookup: opts.allowPrivate ? undefined : (guardedLookup as never),
        // A fresh connection each time: a pooled socket would skip the lookup guard.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const status = res.statusCode ?? null;
          const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
          const ok = status !== null && status >= 200 && status < 300;
          finish({ ok, status, error: ok ? null : `HTTP ${status}`, excerpt });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          // Enough for the log: stop reading whatever else the receiver sends.
          if (size >= EXCERPT_BYTES) done();
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer within ${Math.round(timeoutMs / 1000)} s`, excerpt: '' });
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const message = error instanceof TargetRefused || error.code === 'ETARGETREFUSED' ? `refused: ${error.message}` : `${error.code ?? 'error'}: ${error.message}`;
      finish({ ok: false, status: null, error: message, excerpt: '' });
    });
    req.end(body);
  });
}
