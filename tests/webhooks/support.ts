/**
 * A partner's receiver on 127.0.0.1 (plain HTTP: the tests turn WEBHOOKS_ALLOW_PRIVATE on) that records every
 * request with its raw body, and the delivery worker driven by hand: the engine's real worker, claiming real
 * outbox rows, with the real event.dispatch handler and our webhook.delivery handler.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { dispatchEvent } from '../../src/delivery/dispatch.ts';
import type { JobHandler, OutboxKind } from '../../src/delivery/registry.ts';
import { startWorker } from '../../src/delivery/worker.ts';
import type { Ctx } from '../../src/services/context.ts';
import { runWebhookDelivery } from '../../src/webhooks/deliver.ts';
import '../../src/webhooks/index.ts';

export type Received = { headers: IncomingHttpHeaders; body: string; path: string };

export type Receiver = {
  url: string;
  requests: Received[];
  /** What the next requests answer (default 204). */
  respond(status: number, body?: string): void;
  close(): Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  let status = 204;
  let answer = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '/' });
      res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {});
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    respond(next, body = '') {
      status = next;
      answer = body;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const HANDLERS: Partial<Record<OutboxKind, JobHandler>> = { 'event.dispatch': dispatchEvent, 'webhook.delivery': runWebhookDelivery };

/** Runs every due event.dispatch and webhook.delivery job (e-mail jobs stay queued); returns how many ran. */
export function drainWebhooks(ctx: Ctx): Promise<number> {
  // One job at a time: the whole test shares one transaction (one connection).
  const worker = startWorker(
    { ctx: (actor) => ({ ...ctx, actor: actor ?? ctx.actor }) },
    { autoStart: false, concurrency: 1, handlers: (k) => HANDLERS[k], kinds: () => ['event.dispatch', 'webhook.delivery'], log: quiet },
  );
  return worker.drain();
}

const quiet = { info: () => {}, error: () => {} };

/**
 * Webhook.verify checks the signature AND that webhook-timestamp is within 5 minutes of the receiver's clock.
 * Tests that move the service clock by hours verify as a receiver whose clock reads `at`.
 */
export function verifyAt(secret: string, message: Received, at: Date): unknown {
  vi.useFakeTimers({ toFake: ['Date'], now: at });
  try {
    return new Webhook(secret).verify(message.body, message.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}
