import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { appSecrets } from '../../db/schema/index.ts';
import { CONFIRM_LINK_TTL_MS, createLinkSigner, getLinkSigner } from '../../src/mail/links.ts';
import { dbTest as test } from '../support/db.ts';

const NOW = new Date('2026-11-28T10:00:00Z');
const signer = createLinkSigner(Buffer.alloc(32, 7), 'https://status.example.test/');
const tokenOf = (url: string) => new URL(url).pathname.split('/').pop()!;

describe('signed links', () => {
  test('manage and unsubscribe links are stable for one subscriber and differ between subscribers', () => {
    expect(signer.manageUrl('abc123', 'it')).toBe(signer.manageUrl('abc123', 'it'));
    expect(signer.unsubscribeUrl('abc123')).toBe(signer.unsubscribeUrl('abc123'));
    expect(signer.unsubscribeUrl('abc123')).not.toBe(signer.unsubscribeUrl('abc124'));
    expect(signer.manageUrl('abc123', 'en')).toMatch(/^https:\/\/status\.example\.test\/en\/subscription\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(signer.unsubscribeUrl('abc123')).toMatch(/^https:\/\/status\.example\.test\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(signer.unsubscribeMailto('abc123')).toMatch(/^mailto:unsubscribe@status\.example\.test\?subject=unsubscribe%20/);
  });

  test('each token works for its own purpose only', () => {
    const manage = tokenOf(signer.manageUrl('abc123', 'it'));
    const unsubscribe = tokenOf(signer.unsubscribeUrl('abc123'));
    expect(signer.verify(manage, 'manage', NOW)).toEqual({ purpose: 'manage', subscriberId: 'abc123' });
    expect(signer.verify(manage, 'unsubscribe', NOW)).toBeNull();
    expect(signer.verify(unsubscribe, 'unsubscribe', NOW)).toEqual({ purpose: 'unsubscribe', subscriberId: 'abc123' });
    expect(signer.verify(unsubscribe, ['manage', 'confirm'], NOW)).toBeNull();
  });

  test('a confirmation link carries its nonce and expires after 72 hours', () => {
    const token = tokenOf(signer.confirmUrl({ id: 'abc123', confirmNonce: 4 }, 'it', NOW));
    const claims = signer.verify(token, 'confirm', NOW);
    expect(claims).toMatchObject({ purpose: 'confirm', subscriberId: 'abc123', nonce: 4 });
    expect(claims!.expiresAt!.getTime()).toBe(NOW.getTime() + CONFIRM_LINK_TTL_MS);
    expect(signer.verify(token, 'confirm', new Date(NOW.getTime() + CONFIRM_LINK_TTL_MS - 1000))).not.toBeNull();
    expect(signer.verify(token, 'confirm', new Date(NOW.getTime() + CONFIRM_LINK_TTL_MS))).toBeNull();
  });

  test('tampered, truncated, re-signed or foreign tokens are refused', () => {
    const token = tokenOf(signer.manageUrl('abc123', 'it'));
    const [payload, signature] = token.split('.') as [string, string];
    const otherPayload = Buffer.from('manage|zzz999').toString('base64url');
    const otherKey = createLinkSigner(Buffer.alloc(32, 8), 'https://status.example.test');
    for (const bad of [
      `${otherPayload}.${signature}`,
      `${payload}.${signature.slice(0, -2)}`,
      `${payload}.`,
      payload,
      `${token}.extra`,
      tokenOf(otherKey.manageUrl('abc123', 'it')),
      '',
      '....',
    ]) {
      expect(signer.verify(bad, ['manage', 'unsubscribe', 'confirm'], NOW), bad).toBeNull();
    }
  });

  test('the key is made once in app_secrets and shared by every signer on the database', async ({ ctx }) => {
    const first = await getLinkSigner(ctx);
    const second = await getLinkSigner({ ...ctx });
    expect(first.manageUrl('abc123', 'it')).toBe(second.manageUrl('abc123', 'it'));
    const rows = await ctx.db.select().from(appSecrets).where(eq(appSecrets.name, 'link_signing_key'));
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.value, 'base64url')).toHaveLength(32);
    // A signer built from the stored key agrees: the key, not the process, makes the links.
    const rebuilt = createLinkSigner(Buffer.from(rows[0]!.value, 'base64url'), ctx.siteUrl);
    expect(rebuilt.unsubscribeUrl('abc123')).toBe(first.unsubscribeUrl('abc123'));
  });
});
