// Logs a recurring problem once when it starts (or changes) and once when it ends, so that an API
// outage of an hour is two log lines, not one per retry.
export type StatusLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type StatusLog = (level: StatusLogLevel, msg: string, fields?: Record<string, unknown>) => void;

export class ProblemLog {
  private readonly log: StatusLog;
  private readonly current = new Map<string, string>();

  constructor(log: StatusLog) {
    this.log = log;
  }

  /** `topic` failed with `message`: logged unless it is what was last logged for the topic. */
  problem(topic: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.current.get(topic) === message) return;
    this.current.set(topic, message);
    this.log('warn', `${topic}: ${message}`, fields);
  }

  /** `topic` works (again): logged only after a problem. */
  resolved(topic: string, fields: Record<string, unknown> = {}): void {
    if (!this.current.delete(topic)) return;
    this.log('info', `${topic}: working again`, fields);
  }
}
