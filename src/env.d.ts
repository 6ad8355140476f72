/// <reference types="astro/client" />

declare namespace App {
  interface Locals {
    /** The request's service context, set by src/fetch.ts before Astro renders. */
    ctx: import('./services/context.ts').Ctx;
    /** TRUST_PROXY: how many reverse proxies in front append to X-Forwarded-For (src/components/client-address.ts). */
    trustedProxies: number;
    /** DATA_DIR/mail: where the embedded transport writes `.eml` files (the console's mail list reads them). */
    mailDir: string;
    /**
     * The signed-in operator on console requests (/admin/…), resolved from the session cookie by
     * src/http/console-session.ts; null when the cookie is absent, expired or the operator is disabled.
     * Undefined outside the console (public pages never pay for the lookup).
     */
    operator?: import('./services/auth.ts').PublicOperator | null;
    /** The raw session token behind `operator`, kept only to derive and check the console's CSRF token. */
    sessionToken?: string | null;
  }
}
