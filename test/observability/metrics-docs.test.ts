// docs/metrics.md names every metric Tideway registers, with its type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GatewayMetrics } from '../../src/observability/index.ts';

test('every tideway_* metric is documented with its type', () => {
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const metrics = new GatewayMetrics();
  const registered = [...metrics.controlPlane.getMetricsAsArray(), ...metrics.dataPlane.getMetricsAsArray()] as unknown as { name: string; type: string }[];
  assert.ok(registered.length > 10);
  for (const { name, type } of registered) {
    assert.ok(doc.includes(`| \`${name}\` | ${type} |`), `docs/metrics.md has no table row for ${name} (${type})`);
  }
  const documented = [...doc.matchAll(/^\| `(tideway_[a-z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented.filter((name) => !registered.some((m) => m.name === name)), [], 'documented metrics that do not exist');
});
