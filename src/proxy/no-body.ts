// Responses that carry no body whatever their head says (RFC 9110 6.4.1): answers to HEAD, 204 and 304.
// Both client protocols use it to decide whether a response ends with its head.

export function responseHasNoBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}
