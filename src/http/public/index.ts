/**
 * The public, machine-readable read side of Vedetta, as one Hono app to mount at the site root BEFORE the
 * operator API's `/api` catch-all and before Astro's handlers:
 *
 *   feeds           /feed.rss /feed.atom, /services/{key}/feed.*, /incidents/{id}/feed.* (and /en/…)
 *   badges          /badge.svg, /services/{key}/badge.svg
 *   widget frame    /widget/v1/frame            (the script itself is static: public/widget/v1.js)
 *   republishing    /incidents/{id}/updates/{updateId}/republish
 *   Statuspage v2   /api/v2/*.json
 *   native public   /api/v1/public/*
 *
 * Every route is GET-only, cookie-free and cacheable by a CDN; all of them read through the services, so no
 * visibility rule is restated here. Their responses are cached by the public cache (src/http/cache) in front.
 */
import { Hono } from 'hono';
import { answerErrors } from '../faults.ts';
import { createBadgeRoutes } from './badge.ts';
import { createFeedRoutes } from './feeds.ts';
import type { PublicDeps } from './http.ts';
import { createRepublishRoutes } from './republish.ts';
import { createStatuspageV2 } from './statuspage.ts';
import { type SubscriptionDeps, createSubscriptionRoutes } from './subscriptions.ts';
import { createPublicV1 } from './v1.ts';
import { createWidgetRoutes } from './widget.ts';

export type { PublicDeps } from './http.ts';
export { createPublicV1 } from './v1.ts';
export { createStatuspageV2 } from './statuspage.ts';

export function createPublicRoutes(deps: PublicDeps & Pick<SubscriptionDeps, 'resendWebhookSecret'>) {
  const app = new Hono();
  app.route('/api/v2', createStatuspageV2(deps));
  app.route('/api/v1/public', createPublicV1(deps));
  app.route('/', createFeedRoutes(deps));
  app.route('/', createBadgeRoutes(deps));
  app.route('/', createWidgetRoutes(deps));
  app.route('/', createRepublishRoutes(deps));
  app.route('/', createSubscriptionRoutes(deps)); // one-click unsubscribe, Resend webhooks (POSTs without Origin)
  app.onError(answerErrors((c) => c.text('Internal error.\n', 500, { 'Cache-Control': 'no-store' })));
  return app;
}
