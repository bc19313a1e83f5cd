import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { percentile } from '../../bench/ws-load.ts';

describe('ws-load percentile', () => {
  it('reads percentiles off the 10 µs histogram, as the upper edge of the bucket', () => {
    const h = new Uint32Array(100_000);
    h[99] = 50; // 0.99-1.00 ms
    h[499] = 49; // 4.99-5.00 ms
    h[2999] = 1; // 29.99-30.00 ms
    assert.equal(percentile(h, 100, 0.5), 1);
    assert.equal(percentile(h, 100, 0.99), 5);
    assert.equal(percentile(h, 100, 1), 30);
  });
  it('puts round trips beyond the last bucket at its edge', () => {
    const h = new Uint32Array(100_000);
    h[99_999] = 3;
    assert.equal(percentile(h, 3, 0.5), 1000);
  });
});
