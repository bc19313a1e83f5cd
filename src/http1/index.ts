// The HTTP/1.1 wire room: Node's llhttp parser driven directly, and allocation-free header-name
// classification. Both the client side (proxy/http1, proxy/http2 towards HTTP/1.1 upstreams) and the
// upstream side (upstream/http1-connection) parse and classify with these, so neither reaches into the other.
export {
  HEAD_ONLY, METHODS, MIN_DIRECT_BODY, REQUEST, RESPONSE, SKIP_BODY, PendingFields, contentLength, createParser, isLlhttpError, resetParser, statusForParseError,
  type LlhttpError, type LlhttpParser, type ParserCallbacks,
} from './llhttp.ts';
export {
  H_CONNECTION, H_CONTENT_LENGTH, H_EXPECT, H_HOP, H_HOST, H_TRACEPARENT, H_TRANSFER_ENCODING, H_UPGRADE,
  H_X_FORWARDED, H_X_REQUEST_ID, classifyHeader, connectionTokens, isHopByHop, isListedIn, listedInConnection, nameIs,
} from './header-names.ts';
export { MAX_SCANNED_HEAD, ResponseHeadScan, bytesAre } from './response-head-scan.ts';
