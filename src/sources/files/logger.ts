// How the files source reports what it does; the CLI passes its own logger in.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceLogger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;
