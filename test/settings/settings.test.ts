// Tideway's own settings: every flag's bad value is refused with an error naming the flag, environment
// variables stand in for flags, and the CLI exits 2 with that message instead of starting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseSettings, SettingsError } from '../../src/settings/settings.ts';
import { CLI } from '../support/cli-process.ts';

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): SettingsError {
  try {
    parseSettings(argv, env);
  } catch (error) {
    assert.ok(error instanceof SettingsError, String(error));
    return error;
  }
  assert.fail(`accepted ${argv.join(' ')}`);
}

test('defaults need no flag at all', () => {
  const s = parseSettings([], {});
  assert.equal(s.httpPort, 8080);
  assert.equal(s.adminPort, 9901);
  assert.equal(s.ingressClass, 'tideway');
  assert.equal(s.accessLog, true);
  assert.equal(s.updateStatus, true);
  assert.equal(s.limits.headersTimeoutMs, 60_000);
  assert.equal(s.upstream.maxBodyBytes, 0);
});

test('bad values are refused naming the flag', () => {
  const cases: [string[], string][] = [
    [['--http-port', '70000'], 'http-port'],
    [['--admin-port', 'abc'], 'admin-port'],
    [['--workers', '0'], 'workers'],
    [['--drain-timeout', 'soon'], 'drain-timeout'],
    [['--max-header-size', '12q'], 'max-header-size'],
    [['--trusted-proxies', '10.0.0.0/33'], 'trusted-proxies'],
    [['--trusted-proxies', 'not-an-ip'], 'trusted-proxies'],
    [['--access-log', 'maybe'], 'access-log'],
    [['--access-log-sample', '0'], 'access-log-sample'],
    [['--trace-sample', '1.5'], 'trace-sample'],
    [['--otlp-endpoint', 'ftp://collector'], 'otlp-endpoint'],
    [['--log-level', 'loud'], 'log-level'],
    [['--publish-service', 'just-a-name'], 'publish-service'],
    [['--update-status', 'yes'], 'update-status'],
    [['--no-such-flag'], 'no-such-flag'],
  ];
  for (const [argv, flag] of cases) {
    const error = refusal(argv);
    assert.equal(error.flag, flag, argv.join(' '));
    assert.match(error.message, new RegExp(`^--${flag}: `));
  }
});

test('TIDEWAY_* environment variables stand in for flags; flags win', () => {
  assert.equal(parseSettings([], { TIDEWAY_HTTP_PORT: '8081' }).httpPort, 8081);
  assert.equal(parseSettings(['--http-port', '8082'], { TIDEWAY_HTTP_PORT: '8081' }).httpPort, 8082);
  assert.deepEqual(parseSettings([], { TIDEWAY_WATCH_NAMESPACE: 'a, b' }).watchNamespaces, ['a', 'b']);
  assert.equal(refusal([], { TIDEWAY_KEEPALIVE_TIMEOUT: 'x' }).flag, 'keepalive-timeout');
});

test('the CLI exits 2 on a bad flag, printing what is wrong and the usage, and 1 on a missing manifest path', () => {
  const bad = spawnSync(process.execPath, [CLI, '--http-port', '99999'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--http-port: "99999" is not a port number/);
  assert.match(bad.stderr, /Usage: tideway/);
  const missing = spawnSync(process.execPath, [CLI, '--manifests', '/nonexistent/tideway', '--http-port', '0', '--admin-port', '0', '--bind-address', '127.0.0.1', '--admin-address', '127.0.0.1', '--workers', '1'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /\/nonexistent\/tideway/);
});
