/**
 * The operator's webhook setting, given once at boot from the validated configuration (src/config.ts). It is
 * module state rather than a `Ctx` field because it is installation-wide and the send path (a worker job)
 * and the registration path (a request) must agree on it.
 */
export type WebhookPolicy = {
  /** WEBHOOKS_ALLOW_PRIVATE=on: targets on private/loopback addresses and plain http are accepted (tests, labs). */
  allowPrivate: boolean;
};

let policy: WebhookPolicy = { allowPrivate: false };

export function configureWebhooks(next: { webhooksAllowPrivate?: boolean }): void {
  policy = { allowPrivate: next.webhooksAllowPrivate === true };
}

export function webhookPolicy(): WebhookPolicy {
  return policy;
}
