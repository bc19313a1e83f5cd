import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { md5Crypt, verifyPassword } from '../../src/middleware/builtin/password-hash.ts';
import { fakeUpstream, run } from '../support/context.ts';
import { chainOf, configError } from './helpers.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('htpasswd hashes', () => {
  // Produced by `openssl passwd -apr1 -salt <salt> <password>` and `openssl passwd -1 -salt ...`.
  const vectors: [password: string, hash: string][] = [
    ['password', '$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0'],
    ['p@ss w0rd!', '$apr1$r31....$/nHXu4m2j01e0WsylIw1H/'],
    ['', '$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0'],
    ['päßwörd', '$apr1$Zz9$A4e77.I2LgPN80ZFWonsb/'],
    ['secret', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//'],
  ];

  it('MD5-crypt ($apr1$ and $1$) matches OpenSSL', () => {
    for (const [password, hash] of vectors) {
      const magic = hash.startsWith('$apr1$') ? '$apr1$' : '$1$';
      const salt = hash.slice(magic.length, hash.indexOf('$', magic.length));
      assert.equal(md5Crypt(password, salt, magic), hash, password);
    }
  });

  it('verifies every scheme, and refuses wrong passwords', async () => {
    const entries = [
      ...vectors.map(([password, hash]) => ({ password, scheme: hash.startsWith('$apr1$') ? 'apr1' as const : 'md5-crypt' as const, hash })),
      { password: 'hello', scheme: 'sha1' as const, hash: '{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=' },
      // PHP's documented password_verify() example: $2y$, as `htpasswd -B` writes.
      { password: 'rasmuslerdorf', scheme: 'bcrypt' as const, hash: '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a' },
      { password: 'b-pass', scheme: 'bcrypt' as const, hash: bcrypt.hashSync('b-pass', 4) },
    ];
    for (const { password, scheme, hash } of entries) {
      assert.equal(await verifyPassword({ scheme, hash }, password), true, `${scheme} ${hash}`);
      assert.equal(await verifyPassword({ scheme, hash }, `${password}x`), false, `${scheme} wrong password`);
    }
  });
});

describe('basic-auth', () => {
  const users = [
    '# team',
    'alice:$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0',
    '',
    `bob:${bcrypt.hashSync('builder', 4).replace('$2b$', '$2y$')}`,
    'carol:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=',
  ];

  it('lets known users with the right password through, and logs the user', async () => {
    const chain = chainOf('basic-auth', { users });
    for (const [user, password] of [['alice', 'password'], ['bob', 'builder'], ['carol', 'hello'], ['bob', 'builder']]) {
      const upstream = fakeUpstream();
      const ctx = await run(chain, { headers: { authorization: basic(user!, password!) } }, upstream);
      assert.equal(ctx.response!.status, 200, user);
      assert.equal(ctx.logFields.user, user);
      assert.equal(upstream.calls.length, 1);
    }
  });

  it('fails closed with 401 and the challenge: no header, other schemes, malformed, unknown user, wrong password', async () => {
    const chain = chainOf('basic-auth', { users, realm: 'Staff only' });
    const attempts = [undefined, 'Bearer abc', 'Basic', 'Basic !!!', basic('', 'password'), `Basic ${Buffer.from('alice').toString('base64')}`, basic('mallory', 'password'), basic('alice', 'wrong'), basic('bob', 'password')];
    for (const authorization of attempts) {
      const upstream = fakeUpstream();
      const ctx = await run(chain, { headers: authorization === undefined ? {} : { authorization } }, upstream);
      assert.equal(ctx.response!.status, 401, String(authorization));
      assert.equal(ctx.header('www-authenticate'), 'Basic realm="Staff only", charset="UTF-8"');
      assert.equal(ctx.answerBody, '401 Unauthorized\n');
      assert.equal(upstream.calls.length, 0);
    }
  });

  it('can remove the Authorization header and pass the user in a header the client cannot forge', async () => {
    const chain = chainOf('basic-auth', { users, removeHeader: true, headerField: 'X-Remote-User' });
    const upstream = fakeUpstream();
    await run(chain, { headers: [['authorization', basic('carol', 'hello')], ['x-remote-user', 'admin']] }, upstream);
    assert.deepEqual(upstream.calls[0]!.headers, [['X-Remote-User', 'carol']]);
  });

  it('rejects bad configuration naming the field and line', () => {
    assert.equal(configError('basic-auth', {}), 'users: is required (htpasswd lines)');
    assert.equal(configError('basic-auth', { users: ['# only a comment'] }), 'users[0]: no "user:hash" line');
    assert.equal(configError('basic-auth', { users: ['alice:$apr1$xxxxxxxx$dxHfLAsjHkDRmG83UXe8K0', 'nocolon'] }), 'users[1]: expected "user:hash"');
    assert.equal(configError('basic-auth', { users: ['dave:$6$salt$abc'] }), 'users[0]: the hash of user "dave" is not a supported or well-formed htpasswd hash (scheme "6"); use bcrypt ($2y$, $2a$, $2b$), $apr1$, $1$ or {SHA}');
    assert.equal(configError('basic-auth', { users: ['erin:plaintext'] }), 'users[0]: the hash of user "erin" is not a supported or well-formed htpasswd hash; use bcrypt ($2y$, $2a$, $2b$), $apr1$, $1$ or {SHA}');
    assert.equal(configError('basic-auth', { users: ['a:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00=', 'a:{SHA}qvTGHdzF6KLavt4PO0gs2a6pQ00='] }), 'users[1]: user "a" is listed twice (also line 1)');
    assert.equal(configError('basic-auth', { users, realm: 'say "hi"' }), 'realm: "say \\"hi\\"" is not a realm without quotes, backslashes or line breaks');
    assert.equal(configError('basic-auth', { users, headerField: 'bad header' }), 'headerField: "bad header" is not a valid header name');
  });
});
