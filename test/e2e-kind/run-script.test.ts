// test/e2e-kind/run.sh itself runs only by hand, on a machine with Docker and kind. Here: it parses,
// and without Docker it says so and exits 0 (DOCKER points at a binary that does not exist, so this
// never starts a cluster, even where Docker is installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.sh');

test('run.sh is valid bash', () => {
  execFileSync('bash', ['-n', SCRIPT]);
});

test('run.sh without Docker: "skipped: docker not available", exit 0, nothing created', () => {
  const result = spawnSync('bash', [SCRIPT], { env: { ...process.env, DOCKER: '/nonexistent/docker' }, encoding: 'utf8', timeout: 10_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'skipped: docker not available\n');
  assert.equal(result.stderr, '');
});
