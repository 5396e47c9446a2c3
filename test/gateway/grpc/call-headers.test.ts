/** Request headers read as the gRPC over HTTP/2 spec defines them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callDeadline, isGrpcContentType, messageEncoding, metadataValue } from '../../../gateway/grpc/call-headers.js';
import { SwitchyardError } from '../../../runtime/errors.js';

describe('isGrpcContentType', () => {
  it('takes application/grpc and +proto, with or without parameters, and nothing else', () => {
    for (const value of ['application/grpc', 'application/grpc+proto', 'application/grpc;x=1', 'application/grpc+proto; charset=utf-8']) assert.ok(isGrpcContentType(value), value);
    for (const value of [undefined, '', 'application/json', 'application/grpc-web', 'application/grpc+json', 'application/grpcx', 'text/plain']) assert.ok(!isGrpcContentType(value), String(value));
  });
});

describe('messageEncoding', () => {
  it('identity when absent; gzip and deflate; anything else is not implemented', () => {
    assert.equal(messageEncoding({}), 'identity');
    for (const encoding of ['identity', 'gzip', 'deflate'] as const) assert.equal(messageEncoding({ 'grpc-encoding': encoding }), encoding);
    assert.throws(() => messageEncoding({ 'grpc-encoding': 'snappy' }), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_NOT_IMPLEMENTED' && err.message.includes('identity,deflate,gzip'));
  });
});

describe('callDeadline', () => {
  it('reads every unit, 1 to 8 digits; Infinity without the header', () => {
    assert.equal(callDeadline({}), Infinity);
    for (const [value, ms] of [['2H', 7_200_000], ['3M', 180_000], ['4S', 4000], ['50m', 50], ['7000u', 7], ['9000000n', 9], ['99999999m', 99_999_999]] as const) {
      const before = performance.now();
      const deadline = callDeadline({ 'grpc-timeout': value });
      assert.ok(deadline >= before + ms && deadline <= performance.now() + ms, `${value}: ${deadline - before} ms`);
    }
  });

  it('refuses anything else, naming the value', () => {
    for (const value of ['', 'S', '10', '1.5S', '-1S', '123456789S', '5 S', '5s', '5SS']) {
      assert.throws(() => callDeadline({ 'grpc-timeout': value }), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_REQUEST' && err.message.includes(`'${value}'`), value);
    }
  });
});

describe('metadataValue', () => {
  it("reads text values as they come ('' when absent), and -bin values as base64, padded or not", () => {
    const headers = { 'x-key': 'user-7', 'x-both': ['a', 'b'], 'x-key-bin': Buffer.from('größe').toString('base64').replace(/=+$/, ''), 'x-two-bin': `${Buffer.from('one').toString('base64')},${Buffer.from('two').toString('base64')}` };
    assert.equal(metadataValue(headers, 'x-key'), 'user-7');
    assert.equal(metadataValue(headers, 'x-missing'), '');
    assert.equal(metadataValue(headers, 'x-both'), 'a, b');
    assert.equal(metadataValue(headers, 'x-key-bin'), 'größe');
    assert.equal(metadataValue(headers, 'x-two-bin'), 'one');
  });
});
