/**
 * The feeds a page has, in one place for the two components that show them: FeedLinks.astro (<link
 * rel="alternate"> in the head, for feed readers) and FollowLinks.astro (visible links in the footer, for
 * people). One list, so the head and the footer cannot point at different addresses.
 */
import type { Locale } from '../domain/vocab.ts';
import { localePath } from '../i18n/index.ts';

export const FEED_FORMATS = [
  { ext: 'rss', type: 'application/rss+xml', label: 'RSS' },
  { ext: 'atom', type: 'application/atom+xml', label: 'Atom' },
] as const;

export type FeedFormat = (typeof FEED_FORMATS)[number];

/** `/feed.rss`, `/en/services/web/feed.atom`: `scope` is '' for the whole site, else the page's own path. */
export function feedPath(locale: Locale, scope: string, format: FeedFormat): string {
  return localePath(locale, `${scope}/feed.${format.ext}`);
}
