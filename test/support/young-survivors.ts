// What young-generation collections did not reclaim, measured with V8's sampling heap profiler: samples
// of everything allocated while `work` runs that was still alive at the end or reclaimed only by a full
// collection (promoted to the old generation first). For tests that objects die young.
import inspector from 'node:inspector';

interface SamplingProfileNode {
  selfSize: number;
  children: SamplingProfileNode[];
}

function post<T>(session: inspector.Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

function totalSize(node: SamplingProfileNode): number {
  let total = node.selfSize;
  for (const child of node.children) total += totalSize(child);
  return total;
}

/** Bytes allocated by `work` that survived young-generation collections (sampled every KiB). */
export async function bytesSurvivingScavenges(work: () => Promise<void>): Promise<number> {
  const session = new inspector.Session();
  session.connect();
  try {
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    await work();
    const { profile } = await post<{ profile: { head: SamplingProfileNode } }>(session, 'HeapProfiler.stopSampling');
    return totalSize(profile.head);
  } finally {
    session.disconnect();
  }
}
