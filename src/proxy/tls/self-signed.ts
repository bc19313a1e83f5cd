// The fallback certificate served to names no Secret covers: a self-signed EC P-256 certificate made
// at start. node:crypto makes keys and signatures but no X.509 certificates, so the certificate is
// written here as DER (RFC 5280, the few fields a TLS server certificate needs). Doing it in process
// keeps the gateway free of an `openssl` binary, which minimal container images do not ship.
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]): Buffer => tlv(0x30, ...content);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from unsigned big-endian bytes. */
function unsignedInteger(bytes: Buffer): Buffer {
  return tlv(0x02, (bytes[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** GeneralizedTime is valid for every year; UTCTime (RFC 5280 4.1.2.5) only up to 2049. */
function time(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(text.slice(2), 'ascii')) : tlv(0x18, Buffer.from(text, 'ascii'));
}

function name(commonName: string): Buffer {
  return sequence(tlv(0x31, sequence(oid(OID_COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

/** A self-signed certificate valid from one hour ago (clock skew) for `days` days. */
export function createSelfSignedCertificate(commonName: string, days = 3650): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const algorithm = sequence(oid(OID_ECDSA_WITH_SHA256));
  const now = Date.now();
  const serial = randomBytes(16);
  // Positive, and minimally encoded: a leading 0x00 before a byte below 0x80 is illegal DER padding.
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const subject = name(commonName);
  const extensions = tlv(0xa3, sequence(sequence(oid(OID_BASIC_CONSTRAINTS), tlv(0x04, sequence()))));
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    unsignedInteger(serial),
    algorithm,
    subject, // issuer: self-signed
    sequence(time(new Date(now - 3_600_000)), time(new Date(now + days * 86_400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  const certPem = `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
  // Parsing it back proves the encoding once, at start, rather than at the first handshake.
  new X509Certificate(certPem);
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
