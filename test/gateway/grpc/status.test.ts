/** Errors as gRPC status trailers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorTrailers, percentEncoded } from '../../../gateway/grpc/status.js';
import { SwitchyardError } from '../../../runtime/errors.js';

describe('errorTrailers', () => {
  it('carries the kind as grpc-status, the message, and the SY_ERR_* code; anything not ours is INTERNAL', () => {
    assert.deepEqual(errorTrailers(new SwitchyardError('SY_ERR_MODEL_NOT_FOUND', "model 'm' not found")), {
      'grpc-status': '5',
      'grpc-message': "model 'm' not found",
      'x-switchyard-error-code': 'SY_ERR_MODEL_NOT_FOUND',
    });
    assert.deepEqual(errorTrailers(new Error('boom')), { 'grpc-status': '13', 'grpc-message': 'boom', 'x-switchyard-error-code': 'SY_ERR_INTERNAL' });
  });
});

describe('percentEncoded', () => {
  it('keeps printable ASCII but %, and encodes the rest as UTF-8 bytes', () => {
    assert.equal(percentEncoded("shape [1, 8] needs 8 elements: 'x'"), "shape [1, 8] needs 8 elements: 'x'");
    assert.equal(percentEncoded('100% größe\n\t🙂'), '100%25 gr%C3%B6%C3%9Fe%0A%09%F0%9F%99%82');
    for (const text of ['100% größe\n🙂', '%%', '\u007f\u0000']) assert.equal(decodeURIComponent(percentEncoded(text)), text);
  });
});
