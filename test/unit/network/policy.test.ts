import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, NetworkNotPermittedError } from '../../../src/errors.js';
import { AllowList } from '../../../src/network/allowlist.js';
import { DEFAULT_NETWORK_LIMITS } from '../../../src/network/limits.js';
import { narrowGrant } from '../../../src/network/policy.js';

const policy = {
  allow: ['*.example.org', 'api.example.com', 'data.test:8443'],
  allowPrivate: true,
  limits: { maxRequests: 50 },
};

function thrown(fn: () => unknown): NetworkNotPermittedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NetworkNotPermittedError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('narrowGrant', () => {
  it('grants what the policy covers, with the policy limits as defaults and ceilings', () => {
    const grant = narrowGrant(policy, {
      allow: ['a.example.org', 'api.example.com'],
      limits: { maxRequests: 10 },
    });
    expect(grant.allow.entries).toEqual(['a.example.org', 'api.example.com']);
    expect(grant.allowPrivate).toBe(true);
    expect(grant.limits).toEqual({ ...DEFAULT_NETWORK_LIMITS, maxRequests: 10 });
    expect(narrowGrant(policy, { allow: ['data.test:8443'] }).limits.maxRequests).toBe(50);
  });

  it('refuses destinations the policy does not cover, listing them and what is allowed', () => {
    const error = thrown(() => narrowGrant(policy, { allow: ['a.example.org', 'example.org', 'data.test'] }));
    expect(error.data).toEqual({ uncovered: ['example.org', 'data.test'], allowed: policy.allow });
    expect(error.message).toContain('example.org, data.test');
  });

  it('allows nothing under the default policy', () => {
    const error = thrown(() => narrowGrant({}, { allow: ['example.com'] }));
    expect(error.data.uncovered).toEqual(['example.com']);
    expect(error.message).toContain('allows no network access');
  });

  it('a token narrows further', () => {
    const tokenAllow = AllowList.parse(['a.example.org', 'other.com']);
    expect(narrowGrant(policy, { allow: ['a.example.org'] }, { tokenAllow }).allow.entries).toEqual([
      'a.example.org',
    ]);
    const error = thrown(() =>
      narrowGrant(policy, { allow: ['b.example.org', 'other.com'] }, { tokenAllow }),
    );
    expect(error.data).toEqual({ uncovered: ['b.example.org', 'other.com'], allowed: ['a.example.org'] });
  });

  it('refuses limits above the policy', () => {
    const error = thrown(() =>
      narrowGrant(policy, { allow: ['api.example.com'], limits: { maxRequests: 51 } }),
    );
    expect(error.message).toContain('maxRequests 51 (at most 50)');
    expect(() =>
      narrowGrant(policy, {
        allow: ['api.example.com'],
        limits: { maxBytesIn: DEFAULT_NETWORK_LIMITS.maxBytesIn + 1 },
      }),
    ).toThrow(NetworkNotPermittedError);
  });

  it('rejects malformed requests as invalid options', () => {
    expect(() => narrowGrant(policy, { allow: [] })).toThrow(InvalidOptionsError);
    expect(() => narrowGrant(policy, { allow: ['https://api.example.com/'] })).toThrow(InvalidOptionsError);
  });
});
