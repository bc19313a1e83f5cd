// Verifying a password against an htpasswd hash. bcrypt goes through bcryptjs (asynchronously: it is
// slow on purpose and must not hold the event loop); Apache's $apr1$ and the $1$ MD5-crypt it derives
// from are implemented here with node:crypto; {SHA} is base64(SHA-1). Digests are compared in constant
// time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { lazyModule } from '../../lib/lazy-module.ts';
import type { HtpasswdEntry } from '../config/htpasswd.ts';

// Loaded at the first bcrypt hash checked: most gateways have no basic-auth route with bcrypt hashes.
const bcryptjs = lazyModule<typeof import('bcryptjs')>('bcryptjs');

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, count: number): string {
  let out = '';
  for (let v = value; count > 0; count--, v >>= 6) out += ITOA64[v & 0x3f];
  return out;
}

/**
 * Poul-Henning Kamp's MD5-crypt, as in FreeBSD's crypt-md5.c and APR's apr_md5_encode(); `magic` is
 * "$1$" or "$apr1$" (the only difference between the two). Returns the full "$magic$salt$hash" string.
 */
export function md5Crypt(password: string, salt: string, magic: '$1$' | '$apr1$'): string {
  const pw = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.split('$')[0]!.slice(0, 8), 'utf8');
  const alternate = createHash('md5').update(pw).update(s).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(s);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(left, 16)));
  for (let i = pw.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : pw.subarray(0, 1));
  let digest = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update(i & 1 ? pw : digest);
    if (i % 3) round.update(s);
    if (i % 7) round.update(pw);
    round.update(i & 1 ? digest : pw);
    digest = round.digest();
  }
  const d = digest;
  const encoded =
    to64((d[0]! << 16) | (d[6]! << 8) | d[12]!, 4) +
    to64((d[1]! << 16) | (d[7]! << 8) | d[13]!, 4) +
    to64((d[2]! << 16) | (d[8]! << 8) | d[14]!, 4) +
    to64((d[3]! << 16) | (d[9]! << 8) | d[15]!, 4) +
    to64((d[4]! << 16) | (d[10]! << 8) | d[5]!, 4) +
    to64(d[11]!, 2);
  return `${magic}${s.toString('utf8')}$${encoded}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Lengths are not secret (they follow from the scheme); comparing them first is what timingSafeEqual needs.
  return x.length === y.length && timingSafeEqual(x, y);
}

function saltOf(hash: string, magic: string): string {
  return hash.slice(magic.length, hash.indexOf('$', magic.length));
}

export async function verifyPassword(entry: Pick<HtpasswdEntry, 'scheme' | 'hash'>, password: string): Promise<boolean> {
  switch (entry.scheme) {
    case 'bcrypt':
      // $2y$ (PHP, htpasswd -B) is the same algorithm as $2b$, which is the prefix bcryptjs knows.
      return bcryptjs().compare(password, entry.hash.startsWith('$2y$') ? `$2b$${entry.hash.slice(4)}` : entry.hash);
    case 'apr1':
      return constantTimeEqual(md5Crypt(password, saltOf(entry.hash, '$apr1$'), '$apr1$'), entry.hash);
    case 'md5-crypt':
      return constantTimeEqual(md5Crypt(password, saltOf(entry.hash, '$1$'), '$1$'), entry.hash);
    case 'sha1':
      return constantTimeEqual(`{SHA}${createHash('sha1').update(password, 'utf8').digest('base64')}`, entry.hash);
  }
}
