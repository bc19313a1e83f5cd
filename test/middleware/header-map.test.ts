import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlatHeaderMap, InvalidHeaderError } from '../../src/middleware/header-map.ts';

describe('FlatHeaderMap', () => {
  it('reads the flat array case-insensitively, joining repeated headers', () => {
    const h = new FlatHeaderMap(['Host', 'a.test', 'Accept', 'text/html', 'X-Forwarded-For', '1.1.1.1', 'accept', 'application/json']);
    assert.equal(h.get('host'), 'a.test');
    assert.equal(h.get('ACCEPT'), 'text/html, application/json');
    assert.deepEqual(h.getAll('Accept'), ['text/html', 'application/json']);
    assert.equal(h.get('missing'), undefined);
    assert.deepEqual(h.getAll('missing'), []);
    assert.equal(h.has('x-forwarded-for'), true);
    assert.equal(h.has('x-forwarded'), false);
    assert.equal(h.modified, false, 'reading does not count as a change');
  });

  it('set replaces the first occurrence in place and drops the others; append adds', () => {
    const raw = ['A', '1', 'Set-Cookie', 'x=1', 'B', '2', 'set-cookie', 'y=2'];
    const h = new FlatHeaderMap(raw);
    h.set('set-cookie', 'z=3');
    assert.deepEqual(raw, ['A', '1', 'set-cookie', 'z=3', 'B', '2'], 'the proxy sees the same array');
    h.append('Set-Cookie', 'w=4');
    assert.deepEqual(h.getAll('set-cookie'), ['z=3', 'w=4']);
    h.set('New', 'v');
    assert.deepEqual([...h.entries()].at(-1), ['New', 'v']);
    assert.equal(h.modified, true);
  });

  it('delete removes every occurrence and keeps the order of the rest', () => {
    const h = new FlatHeaderMap(['a', '1', 'X', 'x1', 'b', '2', 'x', 'x2', 'c', '3']);
    h.delete('x');
    assert.deepEqual(h.raw, ['a', '1', 'b', '2', 'c', '3']);
    const untouched = new FlatHeaderMap(['a', '1']);
    untouched.delete('zzz');
    assert.equal(untouched.modified, false);
  });

  it('refuses names and values that would break the message framing', () => {
    const h = new FlatHeaderMap();
    assert.throws(() => h.set('X-Evil', 'a\r\nInjected: 1'), InvalidHeaderError);
    assert.throws(() => h.append('Bad Name', 'v'), InvalidHeaderError);
    assert.throws(() => h.set('', 'v'), InvalidHeaderError);
    assert.throws(() => h.set('x', 'nul\0'), InvalidHeaderError);
    assert.throws(() => FlatHeaderMap.fromRecord({ 'a:b': 'v' }), InvalidHeaderError);
    assert.deepEqual(h.raw, []);
  });

  it('entries() yields names as received', () => {
    const h = FlatHeaderMap.fromRecord({ 'Content-Type': 'text/plain', 'x-a': '1' });
    assert.deepEqual([...h.entries()], [['Content-Type', 'text/plain'], ['x-a', '1']]);
  });
});
