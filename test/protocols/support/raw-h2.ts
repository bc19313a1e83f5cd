// A raw HTTP/2 client for abuse tests: it writes frames byte by byte (preface, SETTINGS, HEADERS with a
// literal HPACK block, RST_STREAM) so a test can send what no well-behaved client library would.
import net from 'node:net';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_ACK = 0x1;
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

function literal(nameIndex: number, value: string): Buffer {
  // Literal header field without indexing, indexed name (RFC 7541 6.2.2), no Huffman.
  const bytes = Buffer.from(value, 'latin1');
  if (nameIndex >= 15 || bytes.length >= 127) throw new Error('keep test header blocks small');
  return Buffer.concat([Buffer.from([nameIndex, bytes.length]), bytes]);
}

/** HEADERS for `GET <path>` on `authority` (static-table entries 2: GET, 6: http, 1: :authority, 4: :path). */
export function getHeaders(streamId: number, authority: string, path = '/', endStream = true): Buffer {
  const block = Buffer.concat([Buffer.from([0x82, 0x86]), literal(1, authority), literal(4, path)]);
  return frame(FRAME.HEADERS, FLAG_END_HEADERS | (endStream ? FLAG_END_STREAM : 0), streamId, block);
}

export function rstStream(streamId: number, code = 8 /* CANCEL */): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

export interface RawH2Connection {
  socket: net.Socket;
  frames: Frame[];
  closed: Promise<void>;
  /** Resolves with the first frame matching `test`, or rejects after timeoutMs. */
  waitFor(test: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
}

/** Connects, sends the preface and an empty SETTINGS, acknowledges the server's SETTINGS. */
export function connectRawH2(port: number): Promise<RawH2Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const frames: Frame[] = [];
    const waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
    let buffer = Buffer.alloc(0);
    let closedResolve!: () => void;
    const closed = new Promise<void>((r) => (closedResolve = r));
    socket.on('close', () => closedResolve());
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const f: Frame = { type: buffer[3]!, flags: buffer[4]!, streamId: buffer.readUInt32BE(5) & 0x7fffffff, payload: buffer.subarray(9, 9 + length) };
        buffer = buffer.subarray(9 + length);
        frames.push(f);
        if (f.type === FRAME.SETTINGS && (f.flags & FLAG_ACK) === 0 && !socket.destroyed) socket.write(frame(FRAME.SETTINGS, FLAG_ACK, 0));
        for (const w of waiters.splice(0)) {
          if (w.test(f)) w.resolve(f);
          else waiters.push(w);
        }
      }
    });
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(PREFACE, 'latin1'), frame(FRAME.SETTINGS, 0, 0)]));
      resolve({
        socket,
        frames,
        closed,
        waitFor: (test, timeoutMs = 3000) => {
          const seen = frames.find(test);
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error('frame not received in time')), timeoutMs);
            waiters.push({ test, resolve: (f) => { clearTimeout(timer); res(f); } });
          });
        },
      });
    });
    socket.once('error', reject);
  });
}

export function goawayCode(f: Frame): number {
  return f.payload.readUInt32BE(4);
}
