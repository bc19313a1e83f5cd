// Splits a watch response into its JSON lines. A line cut off by a dropped connection is never parsed:
// the stream simply ends, and the watch resumes from the last resourceVersion it applied, so the cut
// event is delivered again, whole.
import { StringDecoder } from 'node:string_decoder';
import { KubeBadResponseError } from '../../kube/errors.ts';

export async function* jsonLines(body: AsyncIterable<Buffer | string>, onData: () => void): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of body) {
    onData();
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() === '') continue;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch (err) {
        throw new KubeBadResponseError(`watch event is not JSON: ${JSON.stringify(line.slice(0, 80))}`, { cause: err });
      }
      yield event;
    }
  }
}
