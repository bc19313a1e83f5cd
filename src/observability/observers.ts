// Putting several RequestObservers (metrics, access log) behind the proxy's single observer seam.
import { NO_OBSERVER, type RequestObserver, type RequestRecord } from '../proxy/observer.ts';

/**
 * One observer calling each enabled one in order. With none enabled it is NO_OBSERVER (the proxy then
 * skips building records); with one it is that observer itself, so a single observer costs no extra call.
 * Observers must not throw: the proxy calls them while finishing a request.
 */
export function combineObservers(...observers: (RequestObserver | null | undefined)[]): RequestObserver {
  const enabled = observers.filter((o): o is RequestObserver => o !== null && o !== undefined && o.enabled);
  if (enabled.length === 0) return NO_OBSERVER;
  if (enabled.length === 1) return enabled[0]!;
  return {
    enabled: true,
    onRequestEnd(record: RequestRecord): void {
      for (let i = 0; i < enabled.length; i++) enabled[i]!.onRequestEnd(record);
    },
  };
}
