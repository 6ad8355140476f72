import { describe, expect, it } from 'vitest';
import { clientAddressOf } from '../../src/components/client-address.ts';

const req = (xff?: string) => new Request('http://x/', { headers: xff ? { 'x-forwarded-for': xff } : {} });
const peer = () => '10.0.0.5';

describe('client address for rate limits', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddressOf(req('1.2.3.4'), peer, 0)).toBe('10.0.0.5');
  });

  it('behind N trusted proxies is the entry N from the end; entries the client wrote are ignored', () => {
    expect(clientAddressOf(req('6.6.6.6, 203.0.113.7'), peer, 1)).toBe('203.0.113.7');
    expect(clientAddressOf(req('6.6.6.6, 203.0.113.7, 10.0.0.2'), peer, 2)).toBe('203.0.113.7');
  });

  it('falls back to the peer when the header is missing or shorter than the proxy chain, and never throws', () => {
    expect(clientAddressOf(req(), peer, 1)).toBe('10.0.0.5');
    expect(clientAddressOf(req('203.0.113.7'), peer, 2)).toBe('10.0.0.5');
    expect(clientAddressOf(req(), () => { throw new Error('no peer'); }, 0)).toBe('unknown');
  });
});
