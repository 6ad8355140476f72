/**
 * Wires delivery for one process: the transport chosen by the configuration, the shared provider limiter, the
 * e-mail handlers in the registry, the worker loop and the reminder timer.
 */
import { join } from 'node:path';
import { loopLog } from '../app/log.ts';
import type { Config } from '../config.ts';
import type { Ctx } from '../services/context.ts';
import { batchHandler, type BatchOptions } from './batch.ts';
import { dispatchEvent } from './dispatch.ts';
import { fanoutHandler, type FanoutOptions } from './fanout.ts';
import { templatesAlertMail } from './alert-mail.ts';
import type { AlertMail } from './mail-port.ts';
import './plugins.ts';
import { providerLimiter } from './rate-limit.ts';
import { registerJobHandler } from './registry.ts';
import { scheduleReminders } from './reminders.ts';
import { emlTransport, resendTransport, type Transport } from './transport.ts';
import { startWorker, type Worker, type WorkerHost, WORKER_ACTOR, type WorkerOptions } from './worker.ts';

export type DeliveryConfig = Pick<Config, 'dataDir' | 'resendApiKey' | 'resendBaseUrl' | 'mailFrom' | 'emailRateLimit' | 'reminderMinutes'>;

export const DEFAULT_MAIL_FROM = 'Vedetta <status@localhost>';
export const DEFAULT_EMAIL_RATE_LIMIT = 2;

export const mailDir = (config: Pick<Config, 'dataDir'>) => join(config.dataDir, 'mail');

/** Resend when an API key is configured; otherwise `.eml` files under DATA_DIR/mail. */
export function transportFor(config: DeliveryConfig): Transport {
  return config.resendApiKey
    ? resendTransport({ apiKey: config.resendApiKey, baseUrl: config.resendBaseUrl })
    : emlTransport({ dir: mailDir(config) });
}

export type EmailHandlerOptions = {
  transport: Transport;
  from: string;
  requestsPerSecond: number;
  alertMail: AlertMail;
  host: WorkerHost;
} & Pick<BatchOptions, 'maxAttempts'> & {
    checkpoint?: BatchOptions['checkpoint'] & FanoutOptions['checkpoint'];
    chunkSize?: number;
  };

/** Puts event.dispatch, email.fanout and email.batch into the registry. */
export function registerEmailHandlers(opts: EmailHandlerOptions): void {
  const limiter = providerLimiter(() => opts.host.ctx().db, { requestsPerSecond: opts.requestsPerSecond });
  registerJobHandler('event.dispatch', dispatchEvent);
  registerJobHandler('email.fanout', fanoutHandler({ alertMail: opts.alertMail, chunkSize: opts.chunkSize, checkpoint: opts.checkpoint }));
  registerJobHandler(
    'email.batch',
    batchHandler({ transport: opts.transport, limiter, from: opts.from, alertMail: opts.alertMail, maxAttempts: opts.maxAttempts, checkpoint: opts.checkpoint }),
  );
}

export type Delivery = { worker: Worker; stop(opts?: { release?: boolean }): Promise<void> };

/** Starts the worker loop and, every `reminderEveryMs`, the maintenance reminder job. */
export function startDelivery(
  host: WorkerHost,
  config: Pick<Config, 'reminderMinutes'>,
  opts: WorkerOptions & { reminderEveryMs?: number } = {},
): Delivery {
  const log = opts.log ?? loopLog;
  const worker = startWorker(host, { ...opts, log });
  const everyMs = opts.reminderEveryMs ?? 30_000;
  let reminding: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    reminding ??= scheduleReminders(host.ctx({ ...WORKER_ACTOR }) as Ctx, { minutes: config.reminderMinutes })
      .then((ids) => {
        if (ids.length) {
          log.info(`maintenance reminders queued: ${ids.join(', ')}`);
          worker.wake();
        }
      })
      .catch((error: unknown) => log.error('reminders failed (will retry)', error))
      .finally(() => (reminding = undefined));
  }, everyMs);
  timer.unref();
  return {
    worker,
    async stop(stopOpts) {
      clearInterval(timer);
      await reminding;
      await worker.stop(stopOpts);
    },
  };
}

/** The production wiring: the configured transport, the real templates, every registered plugin, the loop. */
export function installDelivery(host: WorkerHost, config: DeliveryConfig, opts: WorkerOptions = {}): Delivery {
  registerEmailHandlers({
    transport: transportFor(config),
    from: config.mailFrom ?? DEFAULT_MAIL_FROM,
    requestsPerSecond: config.emailRateLimit ?? DEFAULT_EMAIL_RATE_LIMIT,
    alertMail: templatesAlertMail,
    host,
  });
  return startDelivery(host, config, opts);
}
