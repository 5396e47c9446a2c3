/** The registry's pure parts: policy parsing for gateways, token lists, multipart parsing. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTokenList, TokenAuthority } from '../../../models/registry/auth.js';
import { multipartBoundary, parseMultipart } from '../../../models/registry/multipart.js';
import { parseTrafficPolicy, resolveTarget, trafficShareOf, TrafficPolicyError } from '../../../models/registry/traffic-policy.js';
import { multipartBody } from './helpers.js';

describe('traffic policy', () => {
  it('parses a stored or received policy, canonicalising "v3" to "3" and the header to lower case', () => {
    const policy = parseTrafficPolicy({ model: 'iris', revision: 4, variants: [{ target: 'v3', weight: 90 }, { target: 'canary', weight: 10 }], shadow: [{ target: '5', percent: 20 }], sticky_header: 'X-User' }, 'iris');
    assert.deepEqual(policy, { model: 'iris', revision: 4, variants: [{ target: '3', weight: 90 }, { target: 'canary', weight: 10 }], shadow: [{ target: '5', percent: 20 }], sticky_header: 'x-user' });
    assert.throws(() => parseTrafficPolicy({ ...policy, revision: -1 }, 'iris'), /"revision" must be a non-negative integer/);
    assert.throws(() => parseTrafficPolicy({ ...policy, model: 'wine' }, 'iris'), TrafficPolicyError);
    assert.throws(() => parseTrafficPolicy({ ...policy, variants: [{ target: '3', weight: 90 }, { target: 'v3', weight: 10 }] }, 'iris'), /variants\[1\]\.target "3" appears twice/);
  });

  it('resolves targets and reports the share that reaches a version', () => {
    const aliases = { stable: '3', canary: '4' };
    assert.equal(resolveTarget('v4', aliases), '4');
    assert.equal(resolveTarget('canary', aliases), '4');
    assert.equal(resolveTarget('blue', aliases), undefined);
    const policy = { variants: [{ target: 'stable', weight: 70 }, { target: '3', weight: 20 }, { target: 'canary', weight: 10 }], shadow: [{ target: '5', percent: 50 }] };
    assert.deepEqual(trafficShareOf(policy, aliases, '3'), { weight: 90, shadow_percent: 0, referenced_by: ['variant stable=70', 'variant 3=20'] });
    assert.deepEqual(trafficShareOf(policy, aliases, '5'), { weight: 0, shadow_percent: 50, referenced_by: ['shadow 5:50%'] });
  });
});

describe('tokens', () => {
  it('parses name:token lists and names unnamed tokens by fingerprint', () => {
    const tokens = parseTokenList(' ci:0123456789abcdef0123 , fedcba9876543210fedc ', 'SWITCHYARD_ADMIN_TOKENS');
    assert.equal(tokens[0]!.actor, 'ci');
    assert.match(tokens[1]!.actor, /^token:[0-9a-f]{8}$/);
    assert.throws(() => parseTokenList('short', 'SWITCHYARD_ADMIN_TOKENS'), /SWITCHYARD_ADMIN_TOKENS entry 1: a token is at least 16 characters/);
    assert.throws(() => parseTokenList('bad name:0123456789abcdef0123', 'X'), /X entry 1: the name before ":"/);
  });

  it('a token in both lists acts as admin', () => {
    const token = '0123456789abcdef0123';
    const auth = new TokenAuthority({ admin: [{ actor: 'a', token }], read: [{ actor: 'r', token }], anonymousReads: false });
    assert.deepEqual(auth.authorize(`Bearer ${token}`, 'admin'), { actor: 'a', scope: 'admin' });
  });
});

describe('multipart', () => {
  it('splits parts byte for byte, also binary ones holding CRLF and dashes', () => {
    const binary = Buffer.from('\r\n--\r\n\x00\xff--x\r\n', 'latin1');
    const { body, contentType } = multipartBody([{ name: 'manifest', data: '{"a":1}' }, { name: 'model', filename: 'm.onnx', type: 'application/octet-stream', data: binary }]);
    const boundary = multipartBoundary(contentType)!;
    const parts = parseMultipart(body, boundary);
    assert.equal(parts.get('manifest')!.data.toString(), '{"a":1}');
    assert.deepEqual(parts.get('model')!.data, binary);
    assert.equal(parts.get('model')!.filename, 'm.onnx');
    assert.equal(multipartBoundary('multipart/form-data; boundary="quoted b"'), 'quoted b');
    assert.equal(multipartBoundary('application/json'), undefined);
    assert.throws(() => parseMultipart(body.subarray(0, body.byteLength - 20), boundary), /ends before the closing boundary \(truncated upload\?\)/);
  });
});
