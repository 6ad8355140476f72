/**
 * A local Resend-compatible HTTP server for tests and benchmarks, driven by the real `resend` SDK
 * (`new Resend(key, { baseUrl: standin.url })`). It implements what delivery relies on, with the real API's
 * shapes:
 *
 * - `POST /emails` → `{ id }`; `POST /emails/batch` (≤ 100) → `{ data: [{ id }] }`, plus `errors: [{ index,
 *   message }]` under `x-batch-validation: permissive` (invalid e-mails are skipped, the rest accepted; `data`
 *   then lists the accepted ones only, in order). Errors are `{ statusCode, name, message }`.
 * - `Idempotency-Key`: same key + same body → the first answer again and NO new e-mails; same key + other body →
 *   409 `invalid_idempotent_request`; same key while the first request is still running → 409
 *   `concurrent_idempotent_requests`.
 * - A token-bucket rate limit per server (`ratePerSecond`, `burst`), answering 429 with `retry-after` and
 *   `ratelimit-*` headers.
 * - Scripted faults for the next requests (`standin.fail(...)`): 429, 500, 409 concurrent, `hang` (never answer:
 *   the client times out), `drop` (accept and record the e-mails, then cut the connection before answering:
 *   the "sent but never recorded" case).
 *
 * Every accepted e-mail is recorded (`emails`, or only counted per address with `record: 'count'` for large
 * benchmarks).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503; retryAfter?: number }
  | { kind: 'concurrent' }
  | { kind: 'hang' }
  | { kind: 'drop' };

export type RecordedEmail = {
  id: string;
  from: string;
  to: string;
  subject: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  idempotencyKey: string | null;
  acceptedAt: number;
};

export type StandinOptions = {
  /** Requests per second (token refill); default: unlimited. */
  ratePerSecond?: number;
  /** Bucket size; default = ratePerSecond. */
  burst?: number;
  /** 'full' (default) keeps every e-mail; 'count' keeps only a count per address (100k-scale benchmarks). */
  record?: 'full' | 'count';
};

export type ResendStandin = {
  url: string;
  /** Accepted e-mails, in acceptance order ('full' mode). */
  emails: RecordedEmail[];
  /** Accepted e-mails per recipient address (both modes). */
  perAddress: Map<string, number>;
  /** HTTP requests received (including refused ones). */
  requests: { path: string; status: number | 'hang' | 'drop'; idempotencyKey: string | null; size: number }[];
  /** Answers for the next requests, in order, before any real handling. */
  fail(...faults: Fault[]): void;
  /** How many 429 the token bucket itself answered. */
  readonly rateLimited: number;
  close(): Promise<void>;
};

type Stored = { bodyHash: string; status: number; body: unknown } | { bodyHash: string; inFlight: true };

const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export async function startResendStandin(opts: StandinOptions = {}): Promise<ResendStandin> {
  const record = opts.record ?? 'full';
  const emails: RecordedEmail[] = [];
  const perAddress = new Map<string, number>();
  const requests: ResendStandin['requests'] = [];
  const faults: Fault[] = [];
  const idempotency = new Map<string, Stored>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let rateLimited = 0;

  const rate = opts.ratePerSecond;
  const burst = opts.burst ?? rate ?? 0;
  let tokens = burst;
  let refilledAt = Date.now();
  const takeToken = (): { ok: true } | { ok: false; retryAfterMs: number } => {
    if (!rate) return { ok: true };
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: ((1 - tokens) / rate) * 1000 };
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (status: number, name: string, message: string) => ({ statusCode: status, name, message });

  const accept = (email: Record<string, unknown>, key: string | null): string => {
    const id = randomUUID();
    const to = String(Array.isArray(email.to) ? email.to[0] : email.to);
    perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    if (record === 'full') {
      emails.push({
        id,
        from: String(email.from),
        to,
        subject: String(email.subject),
        html: email.html as string | undefined,
        text: email.text as string | undefined,
        headers: (email.headers as Record<string, string>) ?? {},
        idempotencyKey: key,
        acceptedAt: Date.now(),
      });
    }
    return id;
  };

  const invalid = (email: Record<string, unknown>): string | null => {
    const to = Array.isArray(email.to) ? email.to : [email.to];
    if (!email.from) return 'The `from` field is required.';
    if (!to.length || to.some((t) => typeof t !== 'string' || !EMAIL_RE.test(t))) return `Invalid \`to\` field: ${JSON.stringify(email.to)}`;
    if (!email.subject) return 'The `subject` field is required.';
    if (!email.html && !email.text) return 'Either `html` or `text` is required.';
    return null;
  };

  /** The real work of a request: 2xx or a 4xx about the body. */
  const handle = (path: string, payload: unknown, permissive: boolean, key: string | null): { status: number; body: unknown } => {
    if (path === '/emails') {
      const problem = typeof payload === 'object' && payload ? invalid(payload as Record<string, unknown>) : 'Invalid body';
      if (problem) return { status: 422, body: error(422, 'validation_error', problem) };
      return { status: 200, body: { id: accept(payload as Record<string, unknown>, key) } };
    }
    if (!Array.isArray(payload)) return { status: 422, body: error(422, 'validation_error', 'The body must be an array of e-mails.') };
    if (payload.length > 100) return { status: 422, body: error(422, 'validation_error', 'Too many e-mails: at most 100 per batch.') };
    const problems = payload.map((e) => invalid(e as Record<string, unknown>));
    if (!permissive) {
      const first = problems.findIndex(Boolean);
      if (first >= 0) return { status: 422, body: error(422, 'validation_error', `emails[${first}]: ${problems[first]}`) };
    }
    const data: { id: string }[] = [];
    const errors: { index: number; message: string }[] = [];
    payload.forEach((e, index) => {
      if (problems[index]) errors.push({ index, message: problems[index]! });
      else data.push({ id: accept(e as Record<string, unknown>, key) });
    });
    return { status: 200, body: permissive ? { data, errors } : { data } };
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0]!;
    const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const log = (status: ResendStandin['requests'][number]['status']) => requests.push({ path, status, idempotencyKey: key, size: raw.length });

    if (req.method !== 'POST' || (path !== '/emails' && path !== '/emails/batch')) {
      log(404);
      return send(res, 404, error(404, 'not_found', 'The requested endpoint does not exist.'));
    }
    if (!/^Bearer re_\S+$/.test(req.headers.authorization ?? '')) {
      log(401);
      return send(res, 401, error(401, 'missing_api_key', 'Missing API key in the authorization header.'));
    }
    const fault = faults.shift();
    if (fault?.kind === 'hang') {
      log('hang');
      hanging.add(res);
      return;
    }
    if (fault?.kind === 'status') {
      log(fault.status);
      if (fault.status === 429) rateLimited++;
      const headers: Record<string, string> = fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : {};
      return send(res, fault.status, error(fault.status, fault.status === 429 ? 'rate_limit_exceeded' : 'internal_server_error', 'scripted'), headers);
    }
    if (fault?.kind === 'concurrent') {
      log(409);
      return send(res, 409, error(409, 'concurrent_idempotent_requests', 'Same idempotency key used while the original request is still in progress.'));
    }
    const token = takeToken();
    if (!token.ok) {
      log(429);
      rateLimited++;
      return send(res, 429, error(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.'), {
        'retry-after': String(Math.max(1, Math.ceil(token.retryAfterMs / 1000))),
        'ratelimit-limit': String(burst),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.max(1, Math.ceil(token.retryAfterMs / 1000))),
      });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      log(400);
      return send(res, 400, error(400, 'invalid_request', 'The body is not JSON.'));
    }
    const bodyHash = createHash('sha256').update(`${path}\n${raw}`).digest('hex');
    if (key) {
      if (key.length < 1 || key.length > 256) {
        log(400);
        return send(res, 400, error(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'));
      }
      const seen = idempotency.get(key);
      if (seen && seen.bodyHash !== bodyHash) {
        log(409);
        return send(res, 409, error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.'));
      }
      if (seen && 'inFlight' in seen) {
        log(409);
        return send(res, 409, error(409, 'concurrent_idempotent_requests', 'Same idempotency key used while the original request is still in progress.'));
      }
      if (seen) {
        log(seen.status);
        return send(res, seen.status, seen.body);
      }
      idempotency.set(key, { bodyHash, inFlight: true });
    }
    const permissive = req.headers['x-batch-validation'] === 'permissive';
    const result = handle(path, payload, permissive, key);
    // Only processed requests are remembered (an error about the body is too: the same body gets it again).
    if (key) idempotency.set(key, { bodyHash, status: result.status, body: result.body });
    if (fault?.kind === 'drop') {
      log('drop');
      req.socket.destroy();
      return;
    }
    log(result.status);
    send(res, result.status, result.body);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, error(500, 'internal_server_error', String(e)));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    emails,
    perAddress,
    requests,
    fail: (...f) => faults.push(...f),
    get rateLimited() {
      return rateLimited;
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
