// A synchronous, streaming gzip or brotli compressor for ResponseView.bodyTransform, whose write() must
// return the compressed bytes of each chunk at once. Node's public zlib API is either asynchronous
// (streams) or one-shot (gzipSync closes the engine after one call), so this drives the engine's native
// handle with writeSync() the way Node's own processChunkSync() does, minus the close. It relies on two
// internals that have been stable since Node 10 (_handle.writeSync and _writeState); isSupported() checks
// them once, and the compress middleware turns itself off (with a log line) where they are missing.
//
// Each write() ends with a sync flush, so every upstream chunk reaches the client as soon as it arrives
// (streamed and server-sent responses keep working); end() finishes the stream.
import zlib from 'node:zlib';
import type { Encoding } from '../config/compress.ts';
import type { BodyTransform } from '../types.ts';

interface NativeHandle {
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
}

interface EngineInternals {
  _handle: NativeHandle | null;
  _writeState: Uint32Array;
}

type Engine = (zlib.Gzip | zlib.BrotliCompress) & Partial<EngineInternals>;

const OUTPUT_CHUNK = 16 * 1024;
const EMPTY = Buffer.alloc(0);

export class CompressorUnavailableError extends Error {
  constructor() {
    super('this Node.js version does not expose the zlib internals synchronous streaming compression needs');
    this.name = 'CompressorUnavailableError';
  }
}

let supported: boolean | undefined;

export function isSupported(): boolean {
  if (supported === undefined) {
    const probe = zlib.createGzip() as Engine;
    supported = typeof probe._handle?.writeSync === 'function' && probe._writeState instanceof Uint32Array;
    probe.close();
  }
  return supported;
}

export interface CompressorOptions {
  gzipLevel: number;
  brotliQuality: number;
  /** Known body size, a hint for brotli's window; 0 when unknown. */
  sizeHint: number;
}

class SyncCompressor implements BodyTransform {
  private readonly engine: Engine;
  private readonly flushFlag: number;
  private readonly finishFlag: number;
  private output = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private outputOffset = 0;
  private failure: Error | null = null;
  private done = false;

  constructor(engine: Engine, flushFlag: number, finishFlag: number) {
    this.engine = engine;
    this.flushFlag = flushFlag;
    this.finishFlag = finishFlag;
    engine.on('error', (err: Error) => (this.failure = err));
  }

  write(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    return this.process(chunk, this.flushFlag);
  }

  end(): Buffer {
    if (this.done) return EMPTY;
    try {
      return this.process(EMPTY, this.finishFlag);
    } finally {
      this.done = true;
      this.engine.close();
    }
  }

  private process(input: Buffer, flag: number): Buffer {
    const handle = this.engine._handle;
    const state = this.engine._writeState;
    if (this.done || !handle || !state) throw new Error('compressor already finished');
    const pieces: Buffer[] = [];
    let inOffset = 0;
    let inLength = input.length;
    for (;;) {
      const outAvailable = OUTPUT_CHUNK - this.outputOffset;
      handle.writeSync(flag, input, inOffset, inLength, this.output, this.outputOffset, outAvailable);
      if (this.failure !== null || this.engine.destroyed) throw this.failure ?? new Error('compressor failed');
      const outLeft = state[0]!;
      const inLeft = state[1]!;
      const produced = outAvailable - outLeft;
      if (produced > 0) {
        // Handed-out bytes are never written again: the offset only grows, then a fresh buffer is taken.
        pieces.push(this.output.subarray(this.outputOffset, this.outputOffset + produced));
        this.outputOffset += produced;
      }
      if (outLeft === 0 || this.outputOffset >= OUTPUT_CHUNK) {
        this.output = Buffer.allocUnsafe(OUTPUT_CHUNK);
        this.outputOffset = 0;
      }
      // A full output buffer means the engine may hold more: call again with what input is left.
      if (outLeft !== 0) break;
      inOffset += inLength - inLeft;
      inLength = inLeft;
    }
    return pieces.length === 0 ? EMPTY : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }
}

export function createSyncCompressor(encoding: Encoding, options: CompressorOptions): BodyTransform {
  if (!isSupported()) throw new CompressorUnavailableError();
  const { constants } = zlib;
  if (encoding === 'gzip') {
    return new SyncCompressor(zlib.createGzip({ level: options.gzipLevel }) as Engine, constants.Z_SYNC_FLUSH, constants.Z_FINISH);
  }
  const params: Record<number, number> = {
    [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality,
    // A 512 KiB window, as nginx's brotli module uses: the default 4 MiB is a lot per response in flight.
    [constants.BROTLI_PARAM_LGWIN]: 19,
  };
  if (options.sizeHint > 0) params[constants.BROTLI_PARAM_SIZE_HINT] = options.sizeHint;
  return new SyncCompressor(zlib.createBrotliCompress({ params }) as Engine, constants.BROTLI_OPERATION_FLUSH, constants.BROTLI_OPERATION_FINISH);
}
