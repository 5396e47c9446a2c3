/**
 * What the transport-limit servers answer every request with (echo-http-server.ts,
 * echo-grpc-server.ts), apart from their code so that the benchmark's answer check
 * can compare against them without starting a server.
 */

/** The HTTP body of every echo-http answer. */
export const ECHO_HTTP_BODY = Buffer.from('{"echo":true}');

/** The gRPC message (unframed) of every echo-grpc answer. */
export const ECHO_GRPC_MESSAGE = Buffer.from('echo');
