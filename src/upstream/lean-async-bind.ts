// node:http2's ClientHttp2Session.request() binds each new stream's start to its async context with
// AsyncResource.prototype.bind. On Node 22 that bind() also gives every bound function its own
// `asyncResource` accessor (deprecated, DEP0172) whose getter and setter are fresh closures over the
// bound function's scope. V8's young-generation collector does not let such a function go: it and,
// through the closures' scope, the new ClientHttp2Stream with everything it reaches (our relay, the
// client's server stream, both header sets) survive every scavenge until a full collection. Measured
// on grpc-unary-tls: 8 KB promoted per call, a 20-45 ms full collection every second, p99 5x nginx's.
//
// The replacement below is the same bind() with `asyncResource` as a plain data property (same value,
// enumerable and writable as before, only without the deprecation warning): bound functions share one
// hidden class and die young. It is installed only where bind() still defines that accessor.
import { AsyncResource } from 'node:async_hooks';

type AnyFunction = (...args: any[]) => unknown;

let installed = false;

/** Replaces AsyncResource.prototype.bind once per process, where this Node's bind() needs it. */
export function installLeanAsyncResourceBind(): void {
  if (installed) return;
  installed = true;
  if (!bindDefinesAccessor()) return;
  Object.defineProperty(AsyncResource.prototype, 'bind', { value: leanBind, writable: true, configurable: true, enumerable: false });
}

/** Whether bind() gives bound functions an `asyncResource` accessor of their own (Node 22). */
function bindDefinesAccessor(): boolean {
  const bound = new AsyncResource('tideway.bind-probe', { requireManualDestroy: true }).bind(() => undefined);
  return typeof Object.getOwnPropertyDescriptor(bound, 'asyncResource')?.get === 'function';
}

function leanBind(this: AsyncResource, fn: AnyFunction, thisArg?: unknown): AnyFunction {
  if (typeof fn !== 'function') {
    const error: NodeJS.ErrnoException = new TypeError(`The "fn" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  const resource = this;
  const bound: AnyFunction =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]): unknown {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : resource.runInAsyncScope.bind(resource, fn, thisArg) as AnyFunction;
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  Object.defineProperty(bound, 'asyncResource', { configurable: true, enumerable: true, value: resource, writable: true });
  return bound;
}
