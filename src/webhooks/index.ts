/**
 * Plugs partner webhooks into the delivery worker: every dispatched event fans out to matching endpoints, and
 * each `webhook.delivery` job is one signed POST. Imported once for its side effect by the worker's bootstrap.
 */
import { registerDispatchHook, registerJobHandler } from '../delivery/registry.ts';
import { dispatchWebhooks } from './dispatch.ts';
import { runWebhookDelivery } from './deliver.ts';

registerDispatchHook(async (tx, event) => {
  await dispatchWebhooks(tx, event);
});
registerJobHandler('webhook.delivery', (ctx, job) => runWebhookDelivery(ctx, job));
export { configureWebhooks } from './policy.ts';
