// The X-Forwarded-* and X-Request-Id values an HTTP/2 stream sends upstream, the same rules as the
// HTTP/1.1 path: a client's own X-Forwarded-* are believed only from --trusted-proxies.
import type { Http2Request } from './request.ts';
import type { Http2Context } from './context.ts';

export interface ForwardedValues {
  for: string;
  proto: string;
  host: string | undefined;
  port: string;
  realIp: string;
}

export function forwardedValues(request: Http2Request, ctx: Http2Context, remoteAddress: string, trusted: boolean, clientAddress: string): ForwardedValues {
  const scan = request.scan;
  return {
    for: trusted && scan.forwardedFor !== undefined ? scan.forwardedFor + ', ' + remoteAddress : remoteAddress,
    proto: trusted && scan.forwardedProto !== undefined ? scan.forwardedProto : ctx.scheme,
    host: trusted && scan.forwardedHost !== undefined ? scan.forwardedHost : request.authority,
    port: trusted && scan.forwardedPort !== undefined ? scan.forwardedPort : ctx.localPort,
    realIp: clientAddress,
  };
}
